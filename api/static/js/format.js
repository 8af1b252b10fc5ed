// Pure formatting of what the API answers into what a person reads.

const numbers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const dates = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export const FINAL_STATES = new Set(["completed", "completed_with_errors", "failed"]);

export const STATE_LABELS = {
  uploading: "Uploading",
  queued: "Queued",
  parsing: "Reading the file",
  processing: "Processing",
  completed: "Completed",
  completed_with_errors: "Completed with errors",
  failed: "Failed",
};

export function stateLabel(state) {
  return STATE_LABELS[state] || state;
}

export function count(value) {
  return numbers.format(value ?? 0);
}

export function plural(value, one, many) {
  return `${count(value)} ${value === 1 ? one : many}`;
}

export function duration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return "";
  if (seconds < 1) return "less than a second";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dates.format(date);
}

export function bytes(size) {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

// One line of live numbers: rows done, ok/failed, speed, time left.
export function progressLine(status) {
  const parts = [];
  const done = (status.rows_ok || 0) + (status.rows_failed || 0);
  if (status.rows_total == null && !done && !FINAL_STATES.has(status.state)) {
    return status.state === "queued" ? "Waiting for a worker" : "Reading the file";
  }
  if (status.rows_total != null) {
    parts.push(`${count(done)} of ${plural(status.rows_total, "row", "rows")}`);
  } else if (done) {
    parts.push(plural(done, "row", "rows"));
  }
  parts.push(`${count(status.rows_ok)} ok`, `${count(status.rows_failed)} failed`);
  if (!FINAL_STATES.has(status.state)) {
    if (status.rows_per_second) parts.push(`${count(status.rows_per_second)} rows/s`);
    if (status.eta_seconds != null) parts.push(`about ${duration(status.eta_seconds)} left`);
  }
  return parts.join(" · ");
}

// The sentence that ends an upload's card (and is announced to screen readers).
export function outcomeText(status) {
  if (status.state === "completed") {
    return `Completed: ${plural(status.rows_ok, "row", "rows")} saved.`;
  }
  if (status.state === "completed_with_errors") {
    return `Completed with errors: ${plural(status.rows_ok, "row", "rows")} saved, ` +
      `${plural(status.rows_failed, "row", "rows")} failed.`;
  }
  if (status.state === "failed") {
    return `Failed: ${status.error || "no reason was given"}`;
  }
  return "";
}

// The rules of a dataset column, in words.
export function columnRules(column) {
  const rules = [];
  if (column.pattern) rules.push(`matches ${column.pattern}`);
  if (column.min != null) rules.push(`at least ${column.min}`);
  if (column.max != null) rules.push(`at most ${column.max}`);
  if (column.max_length != null) rules.push(`up to ${plural(column.max_length, "character", "characters")}`);
  if (column.enum) rules.push(`one of ${column.enum.join(", ")}`);
  if (column.precision != null) rules.push(`up to ${column.precision} digits`);
  if (column.scale != null) rules.push(`${plural(column.scale, "decimal place", "decimal places")}`);
  if (column.formats?.length) rules.push(`written ${column.formats.join(" or ")}`);
  if (column.true_values?.length) rules.push(`true also as ${column.true_values.join(", ")}`);
  if (column.false_values?.length) rules.push(`false also as ${column.false_values.join(", ")}`);
  return rules.join("; ");
}
