// Validates an AsyncAPI document with the official parser: node validate.mjs FILE
// Prints each diagnostic, then a JSON summary line; exits 1 when there is an error.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "info", "hint"];
const text = readFileSync(process.argv[2], "utf8");
const { document, diagnostics } = await new Parser().parse(text);
for (const d of diagnostics) {
  console.log(`${SEVERITY[d.severity]} ${d.code} ${d.path.join(".")}: ${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === 0).length;
const summary = {
  errors,
  warnings: diagnostics.filter((d) => d.severity === 1).length,
  parsed: document !== undefined,
  channels: document ? document.channels().length : 0,
  messages: document ? document.components().messages().length : 0,
};
console.log(JSON.stringify(summary));
process.exit(errors || !document ? 1 : 0);
