// The tenant's recent uploads, newest first, a page at a time.

import { getJson } from "./api.js";
import { $, el, row } from "./dom.js";
import { count, stateLabel, when } from "./format.js";

const PAGE_SIZE = 10;
let offset = 0;
let loading = null;

function render(page) {
  const body = $("#recent-table tbody");
  body.replaceChildren(
    ...page.items.map((status) =>
      row(
        [
          el("th", { scope: "row", text: status.filename }),
          status.dataset,
          el("td", {}, el("span", { class: `badge ${status.state}`, text: stateLabel(status.state) })),
          el("td", { class: "num", text: count(status.rows_ok) }),
          el("td", { class: "num", text: count(status.rows_failed) }),
          el("td", {}, el("time", { datetime: status.submitted_at, text: when(status.submitted_at) })),
        ],
        { "data-job-id": status.job_id, "data-state": status.state },
      ),
    ),
  );
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

export function resetRecent() {
  offset = 0;
  $("#recent-table tbody").replaceChildren();
  $("#recent-range").textContent = "";
}

export function wireRecent(report) {
  $("#recent-refresh").addEventListener("click", () => loadRecent(report));
  $("#recent-newer").addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    loadRecent(report);
  });
  $("#recent-older").addEventListener("click", () => {
    offset += PAGE_SIZE;
    loadRecent(report);
  });
}
