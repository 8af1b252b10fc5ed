// The reading locales an upload may name, for the choice above the drop zone.

import { getJson } from "./api.js";
import { $, el } from "./dom.js";

export async function loadLocales(report) {
  const select = $("#locale");
  if (select.options.length > 1) return; // loaded once per page
  try {
    const { locales } = await getJson("v1/locales");
    select.append(
      ...locales.map((l) => el("option", { value: l.tag, text: `${l.tag} · ${l.name}: ${l.reads}, ${l.example_number}` })),
    );
  } catch (error) {
    report(error, $("#locale-help"));
  }
}
