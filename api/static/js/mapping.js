// The mapping step of an upload paused in needs_mapping: the file's best header candidate
// with its first rows, and for each dataset column a choice among the file's columns (the
// API's suggestion chosen), then "Confirm mapping and continue".

import { postJson } from "./api.js";
import { datasetDetail } from "./datasets.js";
import { announce, el, row } from "./dom.js";
import { when } from "./format.js";

const WHY = {
  saved: "your saved mapping",
  name: "its name",
  similar: "a similar name",
  values: "its values",
};

function samplesOf(preview, header) {
  const index = preview.file_columns.indexOf(header);
  if (index < 0) return "—";
  const values = preview.samples.map((r) => r[index]).filter((v) => v != null && v !== "");
  return values.slice(0, 3).join(", ") || "(empty in the first rows)";
}

function fileTable(preview) {
  const where = preview.sheet ? `row ${preview.header_row} of sheet ${preview.sheet}` : `row ${preview.header_row}`;
  const caption = `The file's header (${where}) and its first rows`;
  return el(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    el(
      "table",
      { class: "sample-table" },
      el("caption", { text: caption }),
      el("thead", {}, row(preview.file_columns.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, ...preview.samples.map((values) => row(values.map((v) => v ?? "")))),
    ),
  );
}

function choiceRow(column, preview) {
  const id = `map-${column.name}`;
  const suggested = preview.suggestions[column.name] || "";
  const select = el(
    "select",
    { id, name: column.name, "aria-describedby": `${id}-hint ${id}-samples` },
    el("option", { value: "", text: "— not in the file —" }),
    ...preview.file_columns.map((h) => el("option", { value: h, text: h })),
  );
  select.value = suggested;
  const why = preview.suggested_by[column.name];
  const hint = el("span", {
    id: `${id}-hint`,
    class: "help",
    text: suggested ? `Suggested by ${WHY[why] || why}` : column.required ? "Required: choose its column" : "",
  });
  const samples = el("td", { id: `${id}-samples`, class: "samples", text: samplesOf(preview, suggested) });
  select.addEventListener("change", () => {
    samples.textContent = samplesOf(preview, select.value);
    hint.textContent = select.value ? "Your choice" : column.required ? "Required: choose its column" : "";
  });
  return row([
    el(
      "th",
      { scope: "row" },
      el("label", { for: id }, el("code", { text: column.name })),
      ...(column.required ? [" ", el("span", { class: "tag", text: "required" })] : []),
    ),
    el("td", {}, select, " ", hint),
    samples,
  ]);
}

function problems(form, dataset) {
  const chosen = new Map();
  for (const column of dataset.columns) {
    const select = form.elements[column.name];
    if (column.required && !select.value) return [select, `Choose the file's column for ${column.name}.`];
    if (select.value && chosen.has(select.value)) {
      return [select, `The file's column ${select.value} is chosen for both ${chosen.get(select.value)} and ${column.name}.`];
    }
    if (select.value) chosen.set(select.value, column.name);
  }
  return null;
}

export async function renderMappingStep(section, status, report) {
  const preview = status.mapping_preview;
  const dataset = await datasetDetail(status.dataset);
  const error = el("p", { class: "error", role: "alert" });
  const remember = el("input", { type: "checkbox", id: "map-remember", checked: true });
  const submit = el("button", { type: "submit", text: "Confirm mapping and continue" });
  const form = el(
    "form",
    { id: "mapping-form", novalidate: true },
    el(
      "div",
      { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "mapping-choices" },
      el(
        "table",
        { class: "mapping-table" },
        el("caption", { id: "mapping-choices", text: `Columns of ${dataset.name}` }),
        el("thead", {}, row(["Dataset column", "File column", "Its first values"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...dataset.columns.map((c) => choiceRow(c, preview))),
      ),
    ),
    el("p", { class: "check" }, remember, " ", el("label", { for: "map-remember", class: "inline", text: `Remember this mapping for ${dataset.name} files with this header` })),
    error,
    el("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const wrong = problems(form, dataset);
    if (wrong) {
      error.textContent = wrong[1];
      wrong[0].focus();
      return;
    }
    const mapping = {};
    for (const column of dataset.columns) {
      const value = form.elements[column.name].value;
      if (value) mapping[column.name] = value;
    }
    submit.disabled = true;
    try {
      await postJson(`v1/uploads/${status.job_id}/mapping`, { mapping, remember: remember.checked });
      error.textContent = "";
      announce("Mapping confirmed: the file is read again with it");
    } catch (failure) {
      submit.disabled = false;
      report(failure, error);
    }
  });
  section.replaceChildren(
    el("h2", { id: "mapping-title", text: "Map the file's columns" }),
    el("p", { text: `The file's header does not name every required column of ${dataset.name}. Choose, for each column, the file's column that holds it; the rows keep their row numbers.` }),
    el("p", { class: "help", text: `Why it paused: ${preview.reason}.` }),
    ...(preview.expires_at ? [el("p", { class: "help", text: `Unless a mapping is confirmed by ${when(preview.expires_at)}, the upload fails.` })] : []),
    fileTable(preview),
    form,
  );
  section.hidden = false;
}
