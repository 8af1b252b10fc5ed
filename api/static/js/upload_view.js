// One upload's own page (#/uploads/<id>): its state and reason in words, live progress,
// counts and timings, the sheet, header row and mapping used, dead-lettered rows, the mapping
// step while it needs one, and its rows to fix.

import { ApiError, getJson } from "./api.js";
import { $, announce, el, row } from "./dom.js";
import { FINAL_STATES, between, count, duration, outcomeText, plural, progressLine, shownLabel, shownState, when } from "./format.js";
import { renderFixRows } from "./corrections.js";
import { renderMappingStep } from "./mapping.js";

let current = null; // { id, report, status, mappingShown, fixShown }

export function closeUploadView() {
  current = null;
  $("#upload-view").hidden = true;
  document.title = "bulkflow · upload spreadsheets";
}

function fact(term, value) {
  if (value == null || value === "") return [];
  return [el("dt", { text: term }), el("dd", {}, value)];
}

function renderFacts(status) {
  const took = between(status.started_at || status.submitted_at, status.finished_at);
  $("#upload-facts").replaceChildren(
    ...fact("Dataset", status.dataset),
    ...fact("Upload id", el("code", { text: status.job_id })),
    ...(status.corrects ? fact("Corrects", el("a", { href: `#/uploads/${status.corrects}`, text: `upload ${status.corrects}` })) : []),
    ...fact("Submitted", when(status.submitted_at)),
    ...fact("Started", when(status.started_at)),
    ...fact("Finished", when(status.finished_at)),
    ...fact("Took", took == null ? null : duration(took)),
    ...fact("Rows in the file", status.rows_total == null ? null : count(status.rows_total)),
    ...fact("Rows saved", count(status.rows_ok)),
    ...fact("Rows failed", count(status.rows_failed)),
    ...fact("Speed", FINAL_STATES.has(status.state) && status.rows_per_second ? `${count(status.rows_per_second)} rows/s` : null),
    ...fact("Sheet", status.sheet),
    ...fact("Header row", status.header_row == null ? null : `row ${status.header_row}`),
    // how numbers, dates and yes/no were read: "read as de-DE: decimal comma, ... (detected)"
    ...fact("Read as", status.reading),
    ...fact("Columns left out", (status.unknown_columns || []).join(", ")),
  );
}

function renderMappingUsed(status) {
  const section = $("#mapping-used");
  const pairs = Object.entries(status.mapping || {});
  section.hidden = !pairs.length || status.state === "needs_mapping";
  if (section.hidden) return;
  section.replaceChildren(
    el("h2", { id: "mapping-used-title", text: "Columns read" }),
    el(
      "div",
      { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "mapping-used-title" },
      el(
        "table",
        {},
        el("thead", {}, row(["Dataset column", "From the file's column"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...pairs.map(([column, header]) => row([el("th", { scope: "row" }, el("code", { text: column })), header]))),
      ),
    ),
  );
}

function renderDeadLetters(status) {
  const section = $("#dead-letters");
  const letters = status.dead_letters || [];
  section.hidden = !letters.length;
  if (!letters.length) return;
  const rows = status.rows_dead_lettered ?? letters.reduce((n, d) => n + (d.rows || 0), 0);
  section.replaceChildren(
    el("h2", { id: "dead-letters-title", text: "Rows that could not be processed" }),
    el("p", { text: `${plural(rows, "row was", "rows were")} set aside (dead-lettered): they are in neither the saved rows nor the errors. An operator can send them again.` }),
    el(
      "div",
      { class: "table-wrap tall", tabindex: "0", role: "region", "aria-labelledby": "dead-letters-title" },
      el(
        "table",
        {},
        el("thead", {}, row(["Chunk", "Rows", "How many", "Why"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...letters.map((d) => row([String(d.chunk_no), `${d.first_row}–${d.last_row}`, count(d.rows), d.reason || ""]))),
      ),
    ),
  );
}

function render(status) {
  const previous = current.status;
  current.status = status;
  document.title = `${status.filename} · bulkflow`;
  $("#upload-view-title").textContent = status.filename;
  const badge = $("#upload-view-badge");
  badge.className = `badge ${shownState(status)}`;
  badge.textContent = shownLabel(status);
  $("#upload-view").dataset.state = status.state;
  const outcome = $("#upload-view-outcome");
  outcome.textContent = outcomeText(status);
  outcome.className = `outcome ${shownState(status)}`;
  const final = FINAL_STATES.has(status.state);
  const bar = $("#upload-view-bar");
  bar.hidden = status.state === "needs_mapping";
  if (final) bar.value = 100;
  else if (status.rows_total != null) bar.value = status.percent;
  else bar.removeAttribute("value");
  $("#upload-view-live").textContent = final ? "" : progressLine(status);
  const warning = $("#upload-view-warning");
  // the outcome says every warning; a file that gave no rows at all gets advice besides
  const empty = status.warning && !status.rows_ok && !status.rows_failed;
  warning.hidden = !empty;
  warning.textContent = empty ? `No rows were saved: ${status.warning}. Check that the file is the one you meant.` : "";
  renderFacts(status);
  renderMappingUsed(status);
  renderDeadLetters(status);
  const step = $("#mapping-step");
  if (status.state === "needs_mapping" && !current.mappingShown) {
    current.mappingShown = true;
    renderMappingStep(step, status, current.report).catch((e) => current?.report(e, $("#upload-view-error")));
  } else if (status.state !== "needs_mapping") {
    current.mappingShown = false;
    step.hidden = true;
  }
  if (final && status.rows_failed > 0 && !current.fixShown) {
    current.fixShown = true;
    refreshFixRows();
  } else if (!final || !status.rows_failed) {
    $("#fix-rows").hidden = true;
  }
  if (previous && previous.state !== status.state) announce(`${status.filename}: ${shownLabel(status)}`);
}

function refreshFixRows() {
  const view = current;
  if (!view?.status) return;
  renderFixRows($("#fix-rows"), view.status, view.report).catch((e) => view.report(e, $("#upload-view-error")));
}

// A status from the tenant's stream: this upload's, or a correction of it that ended.
export function uploadViewStatus(status) {
  if (!current) return;
  if (status.job_id === current.id) render(status);
  else if (status.corrects === current.id && FINAL_STATES.has(status.state)) refreshFixRows();
}

export async function openUploadView(id, report, focus) {
  current = { id, report, status: null, mappingShown: false, fixShown: false };
  const view = current;
  $("#upload-view").hidden = false;
  for (const section of ["#mapping-step", "#mapping-used", "#dead-letters", "#fix-rows"]) $(section).hidden = true;
  $("#upload-view-title").textContent = "Loading…";
  $("#upload-view-badge").textContent = "";
  $("#upload-view-outcome").textContent = "";
  $("#upload-facts").replaceChildren();
  $("#upload-view-error").textContent = "";
  if (focus) $("#upload-view-title").focus();
  try {
    const status = await getJson(`v1/uploads/${id}`);
    if (current !== view) return;
    render(status);
    if (focus) $("#upload-view-title").focus();
  } catch (error) {
    if (current !== view) return;
    $("#upload-view-title").textContent = "Upload not found";
    if (error instanceof ApiError && error.status === 404) {
      $("#upload-view-error").textContent = `There is no upload ${id} for this API key.`;
    } else {
      report(error, $("#upload-view-error"));
    }
  }
}
