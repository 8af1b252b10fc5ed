// Fix rows in place: an upload's rows still invalid, a page at a time, with the invalid cells
// editable and checked by the dataset's rules as they are typed (numbers as the upload's reading
// locale writes them, which reads the corrections too); "Submit corrections" sends
// only the fixed rows, with their row numbers, as an upload that corrects this one.

import { download, getJson, uploadFile } from "./api.js";
import { cellProblem } from "./cell_rules.js";
import { datasetDetail } from "./datasets.js";
import { announce, el, row } from "./dom.js";
import { count, plural } from "./format.js";

const PAGE_SIZE = 50;

function correctionsLine(page) {
  if (!page.corrections.length) return null;
  const parts = [];
  page.corrections.forEach((c, i) => {
    if (i) parts.push("; ");
    parts.push(`${plural(c.rows, "row", "rows")} corrected by `);
    parts.push(el("a", { href: `#/uploads/${c.job_id}`, text: c.filename || c.job_id }));
  });
  return el("p", { class: "corrected" }, ...parts, ".");
}

function cellInput(item, name, property, required, onChange) {
  const id = `fix-${item.row}-${name}`;
  const error = item.errors.find((e) => e.column === name);
  const message = el("span", { id: `${id}-msg`, class: "cell-msg", text: error.message });
  const input = el("input", {
    type: "text",
    id,
    value: item.cells[name] ?? "",
    "aria-label": `${name} of row ${item.row}`,
    "aria-invalid": "true",
    "aria-describedby": `${id}-msg`,
    "data-column": name,
    autocomplete: "off",
    spellcheck: "false",
  });
  input.addEventListener("input", () => {
    const problem = cellProblem(property, required, input.value);
    input.setAttribute("aria-invalid", String(Boolean(problem)));
    message.textContent = problem || "Looks right";
    onChange();
  });
  return el("td", { class: "fix-cell" }, input, message);
}

function fixRow(item, columns, schema, onChange) {
  const required = new Set(schema.required || []);
  const invalid = new Set(item.errors.map((e) => e.column));
  const node = row(
    [
      el("th", { scope: "row", text: String(item.row) }),
      ...columns.map((name) =>
        invalid.has(name)
          ? cellInput(item, name, schema.properties[name], required.has(name), onChange)
          : el("td", { text: item.cells[name] ?? "" }),
      ),
    ],
    { "data-row": String(item.row) },
  );
  node.item = item;
  return node;
}

// A row is fixed when one of its cells was edited and all of them pass now.
function fixedRows(table) {
  return [...table.querySelectorAll("tbody tr")].filter((tr) => {
    const inputs = [...tr.querySelectorAll("input")];
    const edited = inputs.some((input) => input.value !== (tr.item.cells[input.dataset.column] ?? ""));
    return edited && inputs.every((input) => input.getAttribute("aria-invalid") === "false");
  });
}

function correctionFile(rows, columns, filename) {
  const lines = rows.map((tr) => {
    const record = { row_no: tr.item.row };
    for (const name of columns) record[name] = tr.item.cells[name] ?? null;
    for (const input of tr.querySelectorAll("input")) record[input.dataset.column] = input.value.trim() || null;
    return JSON.stringify(record);
  });
  const base = filename.replace(/\.[^.]*$/, "");
  return new File([`${lines.join("\n")}\n`], `corrections-of-${base}.jsonl`, { type: "application/x-ndjson" });
}

export async function renderFixRows(section, status, report, offset = 0) {
  const [dataset, page] = await Promise.all([
    datasetDetail(status.dataset, status.locale),
    getJson(`v1/uploads/${status.job_id}/invalid-rows?limit=${PAGE_SIZE}&offset=${offset}`),
  ]);
  const schema = dataset.cell_json_schema;
  const columns = dataset.columns.map((c) => c.name);
  const note = el("p", { id: "fix-status", class: "help", role: "status" });
  const submit = el("button", { type: "button", id: "submit-corrections", text: "Submit corrections", disabled: true });
  const table = el("table", { class: "fix-table" });
  const onChange = () => {
    const fixed = fixedRows(table).length;
    submit.disabled = fixed === 0;
    submit.textContent = fixed ? `Submit corrections (${plural(fixed, "row", "rows")})` : "Submit corrections";
  };
  const last = Math.min(page.offset + page.items.length, page.total);
  const caption = page.total
    ? `Rows still invalid: ${count(page.offset + 1)}–${count(last)} of ${count(page.total)}`
    : "No rows left to fix";
  table.append(
    el("caption", { id: "fix-caption", text: caption }),
    el("thead", {}, row(["Row", ...columns].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...page.items.map((item) => fixRow(item, columns, schema, onChange))),
  );
  submit.addEventListener("click", async () => {
    const rows = fixedRows(table);
    if (!rows.length) return;
    submit.disabled = true;
    note.textContent = `Sending ${plural(rows.length, "corrected row", "corrected rows")}…`;
    try {
      const file = correctionFile(rows, columns, status.filename);
      const accepted = await uploadFile(file, status.dataset, "", () => {}, { corrects: status.job_id });
      note.replaceChildren(
        `Sent ${plural(rows.length, "corrected row", "corrected rows")} as `,
        el("a", { href: `#/uploads/${accepted.job_id}`, text: file.name }),
        "; this table updates once it is done.",
      );
      for (const tr of rows) for (const input of tr.querySelectorAll("input")) input.readOnly = true;
      announce(`${plural(rows.length, "corrected row", "corrected rows")} sent`);
    } catch (error) {
      submit.disabled = false;
      report(error, note);
    }
  });
  const pager = el("nav", { class: "pager", "aria-label": "Rows to fix pages" });
  if (page.total > PAGE_SIZE) {
    const newer = el("button", { type: "button", class: "secondary", text: "Previous rows", disabled: page.offset === 0 });
    const older = el("button", { type: "button", class: "secondary", text: "Next rows", disabled: last >= page.total });
    newer.addEventListener("click", () => renderFixRows(section, status, report, Math.max(0, offset - PAGE_SIZE)).catch((e) => report(e, note)));
    older.addEventListener("click", () => renderFixRows(section, status, report, offset + PAGE_SIZE).catch((e) => report(e, note)));
    pager.append(newer, older);
  }
  const csv = el("button", { type: "button", class: "secondary", id: "download-errors", text: "Download all errors (CSV)" });
  csv.addEventListener("click", () =>
    download(`v1/uploads/${status.job_id}/errors`, `${status.job_id}-errors.csv`).catch((e) => report(e, note)),
  );
  section.replaceChildren(
    el("h2", { id: "fix-rows-title", text: "Rows to fix" }),
    ...[correctionsLine(page)].filter(Boolean),
    el("p", {
      class: "help",
      text: page.total
        ? "Edit the highlighted cells: each is checked as you type. Submit corrections sends only the rows you fixed, with their row numbers, as an upload that corrects this one."
        : "Every invalid row has been corrected.",
    }),
    ...(status.locale && page.total
      ? [el("p", { class: "help", id: "fix-locale", text: `Corrections are read as ${status.locale}, as this upload was.` })]
      : []),
    el("div", { class: "table-wrap tall", tabindex: "0", role: "region", "aria-labelledby": "fix-caption" }, table),
    pager,
    el("div", { class: "actions" }, ...(page.total ? [submit] : []), csv),
    note,
  );
  section.hidden = false;
}
