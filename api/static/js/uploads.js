// Step 2: send files, follow each upload's live status, show how each ended. The cards
// are remembered for the browser tab, so a reload shows them again.

import { AuthError, download, getJson, readEvents, uploadFile } from "./api.js";
import { $, announce, el, row } from "./dom.js";
import { FINAL_STATES, bytes, errorsCaption, outcomeText, progressLine, shownLabel, stateLabel } from "./format.js";

const REMEMBERED = "bulkflow.uploads";
const REMEMBERED_CARDS = 20;

function remembered() {
  try {
    return JSON.parse(sessionStorage.getItem(REMEMBERED) || "[]");
  } catch {
    return [];
  }
}

function remember(card) {
  const kept = remembered().filter((c) => c.job_id !== card.jobId);
  kept.unshift({ job_id: card.jobId, name: card.file.name, size: card.file.size, dataset: card.dataset });
  sessionStorage.setItem(REMEMBERED, JSON.stringify(kept.slice(0, REMEMBERED_CARDS)));
}

const ERROR_ROWS_SHOWN = 100;
const MAX_SENDING = 2; // uploads sent at once
const MAX_STREAMS = 3; // event streams held open at once; the others poll (a browser allows ~6 connections)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let sending = 0;
let streaming = 0;
const waitingToSend = [];
// aborted on sign-out: every stream, poll and back-off of the signed-out session ends
let session = new AbortController();

export function stopUploads() {
  session.abort();
  session = new AbortController();
}

class UploadCard {
  constructor(file, dataset) {
    this.file = file;
    this.dataset = dataset;
    this.state = "uploading";
    this.jobId = null;
    const id = `upload-${Math.random().toString(36).slice(2, 10)}`;
    this.badge = el("span", { class: "badge", text: stateLabel("uploading") });
    this.bar = el("progress", { max: "100", "aria-label": `Progress of ${file.name}` });
    this.live = el("p", { class: "live" , text: "Waiting to send…" });
    this.reading = el("p", { class: "reading" });
    this.outcome = el("p", { class: "outcome" });
    this.errorsPanel = el("div", { class: "errors-panel", id: `${id}-errors`, hidden: true });
    this.showErrors = el("button", { type: "button", class: "secondary show-errors", "aria-expanded": "false", "aria-controls": this.errorsPanel.id, text: `Show the first ${ERROR_ROWS_SHOWN} errors` });
    this.downloadErrors = el("button", { type: "button", class: "secondary download-errors", text: "Download all errors (CSV)" });
    this.errorTools = el("div", { class: "actions error-tools", hidden: true }, this.showErrors, this.downloadErrors);
    this.heading = el("h4", { id: `${id}-name`, class: "file-name", text: file.name });
    this.node = el(
      "li",
      { class: "upload-card", "data-state": "uploading", "aria-labelledby": `${id}-name` },
      el("div", { class: "upload-head" }, this.heading, this.badge),
      el("p", { class: "meta", text: `${dataset} · ${bytes(file.size)}` }),
      this.bar,
      this.live,
      this.reading,
      this.outcome,
      this.errorTools,
      this.errorsPanel,
    );
  }

  get final() {
    return FINAL_STATES.has(this.state);
  }

  setState(state) {
    if (state === this.state) return false;
    this.state = state;
    this.node.dataset.state = state;
    this.badge.textContent = stateLabel(state);
    return true;
  }

  sendProgress(fraction) {
    this.bar.value = Math.round(fraction * 100);
    this.live.textContent = `Sending ${Math.round(fraction * 100)}% of ${bytes(this.file.size)}`;
  }

  accepted(jobId) {
    this.jobId = jobId;
    this.node.dataset.jobId = jobId;
    this.heading.replaceChildren(el("a", { href: `#/uploads/${jobId}`, text: this.file.name }));
    remember(this);
    this.bar.removeAttribute("value"); // indeterminate until the file is read
    this.setState("queued");
    this.live.textContent = "Queued";
  }

  update(status) {
    if (this.final) return;
    const changed = this.setState(status.state);
    if (status.rows_total != null || this.final) this.bar.value = this.final ? 100 : status.percent;
    this.live.textContent = progressLine(status);
    // how the text was read ("read as de-DE: decimal comma, day-first dates (detected)")
    if (status.reading) this.reading.textContent = status.reading;
    if (this.final) this.finish(status);
    else if (changed && status.state === "needs_mapping") this.pause();
    else if (changed) {
      this.outcome.replaceChildren();
      announce(`${this.file.name}: ${stateLabel(status.state)}`);
    }
  }

  pause() {
    this.outcome.className = "outcome needs_mapping";
    this.outcome.replaceChildren(
      "Paused: the header does not name the dataset's columns. ",
      el("a", { href: `#/uploads/${this.jobId}`, text: "Map the columns" }),
    );
    announce(`${this.file.name}: its columns need mapping`);
  }

  refused(message) {
    this.setState("failed");
    this.bar.value = 0;
    this.live.textContent = "";
    this.finish({ state: "failed", error: message });
  }

  finish(status) {
    const text = outcomeText(status);
    this.badge.textContent = shownLabel(status);
    if (status.warning) this.node.dataset.warning = "true";
    // a file that failed before any row was read has no numbers worth showing
    if (status.state === "failed" && !status.rows_ok && !status.rows_failed) this.live.textContent = "";
    this.outcome.textContent = text;
    this.outcome.className = `outcome ${status.state}`;
    this.errorTools.hidden = status.state !== "completed_with_errors" || !status.rows_failed;
    announce(`${this.file.name}: ${text}`);
  }
}

function errorTable(page) {
  const caption = errorsCaption(page.items.length, new Set(page.items.map((e) => e.row)).size, page.more);
  return el(
    "div",
    { class: "table-wrap tall", tabindex: "0", role: "region", "aria-label": caption },
    el(
      "table",
      { class: "error-table" },
      el("caption", { text: caption }),
      el("thead", {}, row(["Row", "Column", "Value", "Message"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...page.items.map((e) => row([String(e.row), e.column, e.value ?? "", e.message]))),
    ),
  );
}

function wireErrorTools(card, report) {
  card.showErrors.addEventListener("click", async () => {
    const open = card.showErrors.getAttribute("aria-expanded") === "true";
    if (!open && !card.errorsPanel.childElementCount) {
      try {
        const page = await getJson(`v1/uploads/${card.jobId}/errors.json?limit=${ERROR_ROWS_SHOWN}`);
        card.errorsPanel.replaceChildren(errorTable(page));
      } catch (error) {
        report(error, card.outcome);
        return;
      }
    }
    card.errorsPanel.hidden = open;
    card.showErrors.setAttribute("aria-expanded", String(!open));
    card.showErrors.textContent = open ? `Show the first ${ERROR_ROWS_SHOWN} errors` : "Hide the errors";
  });
  card.downloadErrors.addEventListener("click", async () => {
    try {
      await download(`v1/uploads/${card.jobId}/errors`, `${card.jobId}-errors.csv`);
    } catch (error) {
      report(error, card.outcome);
    }
  });
}

// Until the job ends: its event stream when a slot is free, else a status poll; reconnects
// with a back-off when a stream drops (an API restart, a proxy timeout).
async function follow(card, report, signal) {
  let failures = 0;
  while (!card.final && !signal.aborted) {
    try {
      if (streaming < MAX_STREAMS) {
        streaming += 1;
        try {
          const onStatus = (status) => {
            card.update(status);
            return card.final;
          };
          await readEvents(`v1/uploads/${card.jobId}/events`, onStatus, signal);
        } finally {
          streaming -= 1;
        }
      } else {
        card.update(await getJson(`v1/uploads/${card.jobId}`, signal));
      }
      failures = 0;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof AuthError || error.status === 404) {
        report(error, card.live);
        return;
      }
      failures += 1;
      card.live.textContent = `Reconnecting (${error.message})…`;
    }
    if (!card.final) await sleep(Math.min(1000 * 2 ** failures, 10_000));
  }
}

// A card for an upload sent before a reload: it follows the job again.
export function restoreUploads(report, onFinished) {
  const list = $("#upload-list");
  if (list.childElementCount) return;
  const { signal } = session;
  const cards = remembered().reverse();
  for (const saved of cards) {
    const card = new UploadCard({ name: saved.name, size: saved.size }, saved.dataset);
    wireErrorTools(card, report);
    list.prepend(card.node);
    card.accepted(saved.job_id);
    follow(card, report, signal).then(() => {
      if (!signal.aborted) onFinished();
    });
  }
  $("#no-uploads").hidden = cards.length > 0;
}

export function forgetUploads() {
  sessionStorage.removeItem(REMEMBERED);
}

async function send(card, sheet, locale, report, onFinished) {
  const { signal } = session;
  while (sending >= MAX_SENDING) await new Promise((resolve) => waitingToSend.push(resolve));
  if (signal.aborted) return;
  sending += 1;
  try {
    const fields = locale ? { locale } : {};
    const accepted = await uploadFile(card.file, card.dataset, sheet, (f) => card.sendProgress(f), fields);
    card.accepted(accepted.job_id);
  } catch (error) {
    if (error instanceof AuthError) report(error, card.live);
    card.refused(`the server refused the file: ${error.message}`);
    return;
  } finally {
    sending -= 1;
    waitingToSend.shift()?.();
  }
  if (signal.aborted) return;
  onFinished();
  await follow(card, report, signal);
  if (!signal.aborted) onFinished();
}

export function startUploads(files, dataset, sheet, locale, report, onFinished) {
  const list = $("#upload-list");
  $("#no-uploads").hidden = true;
  for (const file of files) {
    const card = new UploadCard(file, dataset);
    wireErrorTools(card, report);
    list.prepend(card.node);
    send(card, sheet, locale, report, onFinished);
  }
  announce(`${files.length === 1 ? "1 file" : `${files.length} files`} added`);
}

export function wireUploads(getDataset, report, onFinished) {
  const input = $("#files");
  const zone = $("#drop-zone");
  const sheet = () => $("#sheet").value.trim();
  const locale = () => $("#locale").value;
  input.addEventListener("change", () => {
    if (input.files.length) startUploads([...input.files], getDataset(), sheet(), locale(), report, onFinished);
    input.value = "";
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    const files = [...(event.dataTransfer?.files || [])];
    if (files.length) startUploads(files, getDataset(), sheet(), locale(), report, onFinished);
  });
}
