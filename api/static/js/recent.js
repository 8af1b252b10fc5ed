// The tenant's recent uploads, newest first, a page at a time; each links to its own page.
// The list follows the tenant's event stream (main.js), so it keeps itself up to date.

import { getJson } from "./api.js";
import { $, el, row } from "./dom.js";
import { count, shownLabel, shownState, when } from "./format.js";

const PAGE_SIZE = 10;
let offset = 0;
let loading = null;
let reloadTimer = null;

export function uploadLink(status) {
  return el("a", { href: `#/uploads/${status.job_id}`, text: status.filename });
}

function statusRow(status) {
  return row(
    [
      el("th", { scope: "row" }, uploadLink(status)),
      status.dataset,
      el("td", {}, el("span", { class: `badge ${shownState(status)}`, text: shownLabel(status) })),
      el("td", { class: "num", text: count(status.rows_ok) }),
      el("td", { class: "num", text: count(status.rows_failed) }),
      el("td", {}, el("time", { datetime: status.submitted_at, text: when(status.submitted_at) })),
    ],
    { "data-job-id": status.job_id, "data-state": status.state },
  );
}

function render(page) {
  $("#recent-table tbody").replaceChildren(...page.items.map(statusRow));
  $("#recent-empty").hidden = page.total > 0;
  const last = Math.min(page.offset + page.items.length, page.total);
  $("#recent-range").textContent = page.total
    ? `${count(page.offset + 1)}–${count(last)} of ${count(page.total)}`
    : "";
  $("#recent-newer").disabled = page.offset === 0;
  $("#recent-older").disabled = last >= page.total;
}

export async function loadRecent(report) {
  // one load at a time: a newer request waits for the one in flight, then runs
  const previous = loading;
  const current = (async () => {
    await previous;
    try {
      let page = await getJson(`v1/uploads?limit=${PAGE_SIZE}&offset=${offset}`);
      if (!page.items.length && offset > 0) {
        offset = Math.max(0, page.total - PAGE_SIZE);
        page = await getJson(`v1/uploads?limit=${PAGE_SIZE}&offset=${offset}`);
      }
      render(page);
      $("#recent-error").textContent = "";
    } catch (error) {
      report(error, $("#recent-error"));
    }
  })();
  loading = current;
  return current;
}

// A status from the tenant's stream: its row changes in place; a job not on this page
// (a new upload) reloads the first page, a few at a time.
export function applyStatus(status, report) {
  const current = document.querySelector(`#recent-table tbody tr[data-job-id="${CSS.escape(status.job_id)}"]`);
  if (current) {
    current.replaceWith(statusRow(status));
  } else if (offset === 0 && !reloadTimer) {
    reloadTimer = setTimeout(() => {
      reloadTimer = null;
      loadRecent(report);
    }, 300);
  }
}

export function setLive(connected) {
  $("#recent-live").textContent = connected ? "Updates by itself" : "Reconnecting…";
}

export function resetRecent() {
  offset = 0;
  $("#recent-table tbody").replaceChildren();
  $("#recent-range").textContent = "";
  $("#recent-live").textContent = "";
}

export function wireRecent(report) {
  $("#recent-newer").addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    loadRecent(report);
  });
  $("#recent-older").addEventListener("click", () => {
    offset += PAGE_SIZE;
    loadRecent(report);
  });
}
