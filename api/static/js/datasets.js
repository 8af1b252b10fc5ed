// Step 1: the datasets, one's columns and rules, and its templates.

import { download, getJson } from "./api.js";
import { $, el, row } from "./dom.js";

// The datasets as fetched with their rules (GET /v1/datasets/{name}), by name and locale.
const details = new Map();

// A dataset, its cell_json_schema written as the reading locale `locale` writes (default:
// the dataset's own).
export async function datasetDetail(name, locale = null) {
  const key = `${name}\n${locale || ""}`;
  const query = locale ? `?locale=${encodeURIComponent(locale)}` : "";
  if (!details.has(key)) details.set(key, await getJson(`v1/datasets/${encodeURIComponent(name)}${query}`));
  return details.get(key);
}

export function selectedDataset() {
  return $("#dataset").value;
}

function renderDataset(dataset) {
  const key = new Set(dataset.key || []);
  const keyText = key.size
    ? `Rows with the same ${[...key].join(", ")} replace each other on a re-upload.`
    : "Every row is added (the dataset has no key).";
  $("#dataset-summary").textContent = `${dataset.columns.length} columns, version ${dataset.version}. ${keyText}`;
  $("#columns-caption").textContent = `Columns of ${dataset.name}`;
  const cells = dataset.cell_json_schema.properties;
  const body = $("#columns tbody");
  body.replaceChildren(
    ...dataset.columns.map((column) =>
      row([
        el(
          "th",
          { scope: "row" },
          el("code", { text: column.name }),
          ...(key.has(column.name) ? [" ", el("span", { class: "tag", text: "key" })] : []),
        ),
        column.type,
        column.required ? "yes" : "no",
        cells[column.name].description,
        cells[column.name].examples.length ? el("td", {}, el("code", { text: cells[column.name].examples[0] })) : "—",
        (column.aliases || []).join(", ") || "—",
      ]),
    ),
  );
}

export async function showDataset(name, report) {
  try {
    renderDataset(await datasetDetail(name));
    $("#datasets-error").textContent = "";
  } catch (error) {
    report(error, $("#datasets-error"));
  }
}

export async function loadDatasets(report) {
  const { datasets } = await getJson("v1/datasets");
  const select = $("#dataset");
  const previous = select.value;
  select.replaceChildren(...datasets.map((d) => el("option", { value: d.name, text: d.name })));
  if (!datasets.length) {
    $("#dataset-summary").textContent = "No datasets are defined on this server.";
    return datasets;
  }
  if (datasets.some((d) => d.name === previous)) select.value = previous;
  await showDataset(select.value, report);
  return datasets;
}

export function wireDatasets(report) {
  $("#dataset").addEventListener("change", () => showDataset(selectedDataset(), report));
  for (const kind of ["csv", "xlsx"]) {
    $(`#template-${kind}`).addEventListener("click", async () => {
      const name = selectedDataset();
      try {
        await download(`v1/datasets/${encodeURIComponent(name)}/template.${kind}`, `${name}-template.${kind}`);
      } catch (error) {
        report(error, $("#datasets-error"));
      }
    });
  }
}
