// Pure formatting of what the API answers into what a person reads.

const numbers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const dates = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export const FINAL_STATES = new Set(["completed", "completed_with_errors", "failed"]);

export const STATE_LABELS = {
  uploading: "Uploading",
  queued: "Queued",
  parsing: "Reading the file",
  needs_mapping: "Needs its columns mapped",
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

export function timeLeft(seconds) {
  return seconds < 1 ? "less than a second left" : `about ${duration(seconds)} left`;
}

// One line of live numbers: rows done, ok/failed, speed, time left.
export function progressLine(status) {
  const parts = [];
  const done = (status.rows_ok || 0) + (status.rows_failed || 0);
  if (status.state === "needs_mapping") return "Waiting for you to map the file's columns";
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
    if (status.eta_seconds != null) parts.push(timeLeft(status.eta_seconds));
  }
  return parts.join(" · ");
}

// The sentence that ends an upload's card (and is announced to screen readers).
export function outcomeText(status) {
  if (status.state === "completed" && status.warning) {
    const saved = status.rows_ok ? `${plural(status.rows_ok, "row", "rows")} saved, but ` : "";
    return `Completed with a warning: ${saved}${status.warning}.`;
  }
  if (status.state === "completed") {
    return `Completed: ${plural(status.rows_ok, "row", "rows")} saved.`;
  }
  if (status.state === "needs_mapping") {
    return "Paused: the file's header does not name the dataset's columns. Map them to go on.";
  }
  if (status.state === "completed_with_errors") {
    return `Completed with errors: ${plural(status.rows_ok, "row", "rows")} saved, ` +
      `${plural(status.rows_failed, "row", "rows")} failed.` +
      (status.warning ? ` Warning: ${status.warning}.` : "");
  }
  if (status.state === "failed") {
    return `Failed: ${status.error || "no reason was given"}`;
  }
  return "";
}

// The state a person reads: a completed job with a warning is not a plain success.
export function shownState(status) {
  return status.state === "completed" && status.warning ? "completed_with_warning" : status.state;
}

export function shownLabel(status) {
  return shownState(status) === "completed_with_warning" ? "Completed with a warning" : stateLabel(status.state);
}

// "All 55 errors in 44 rows": errors and rows are different counts.
export function errorsCaption(count, rows, more) {
  const errors = plural(count, "error", "errors");
  return more
    ? `The first ${errors} (download the CSV for all of them)`
    : `All ${errors}, in ${plural(rows, "row", "rows")}`;
}

// Seconds from one ISO moment to another, when both are known.
export function between(startIso, endIso) {
  if (!startIso || !endIso) return null;
  const seconds = (new Date(endIso) - new Date(startIso)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}
