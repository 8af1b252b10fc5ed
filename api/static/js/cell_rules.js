// A cell checked in the browser by the dataset's rules, as the API sends them: the JSON Schema
// of a row as cell text (cell_json_schema, schemas/cell_rules.py). The workers stay the judge;
// this catches what they would refuse before a correction is sent.

const NUMBER_TYPES = new Set(["integer", "decimal", "float"]);

// The text of a number as the property's reading locale writes it (x-decimal, x-groups:
// 1.234,56 in de-DE), plain: no grouping, a decimal point.
function plainNumber(property, text) {
  let plain = text;
  for (const group of property["x-groups"] || [","]) plain = plain.split(group).join("");
  const decimal = property["x-decimal"] || ".";
  return decimal === "." ? plain : plain.split(decimal).join(".");
}

function decimals(plain) {
  const fraction = plain.split(/[eE]/)[0].split(".")[1] || "";
  return fraction.replace(/0+$/, "").length;
}

// The problem with `value` for the column `property` describes, or "" when it passes.
export function cellProblem(property, required, value) {
  const text = (value ?? "").trim();
  const rules = property.description;
  if (!text) return required ? "a value is required" : "";
  const kind = property["x-bulkflow-type"];
  for (const { pattern } of property.allOf || []) {
    if (!new RegExp(pattern, "u").test(text)) return `expected ${rules}`;
  }
  if (property.maxLength != null && [...text].length > property.maxLength) {
    return `too long: up to ${property.maxLength} characters`;
  }
  if (property.enum && !property.enum.some((v) => v.toLowerCase() === text.toLowerCase())) {
    return `expected one of ${property.enum.join(", ")}`;
  }
  if (NUMBER_TYPES.has(kind)) {
    const plain = plainNumber(property, text);
    const number = Number(plain);
    if (property["x-minimum"] != null && number < property["x-minimum"]) {
      return `too small: at least ${property["x-minimum"]}`;
    }
    if (property["x-maximum"] != null && number > property["x-maximum"]) {
      return `too large: at most ${property["x-maximum"]}`;
    }
    if (property["x-scale"] != null && decimals(plain) > property["x-scale"]) {
      return `up to ${property["x-scale"]} decimal places`;
    }
  }
  return "";
}

// Every problem of a row of cells: column -> message.
export function rowProblems(schema, cells) {
  const required = new Set(schema.required || []);
  const problems = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const problem = cellProblem(property, required.has(name), cells[name]);
    if (problem) problems[name] = problem;
  }
  return problems;
}
