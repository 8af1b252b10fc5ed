// The HTTP API as the page uses it: the API key, JSON calls, downloads, uploads and
// server-sent events (read with fetch, since EventSource cannot send a bearer header).

const KEY_NAME = "bulkflow.apiKey";

export class AuthError extends Error {}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  key: () => sessionStorage.getItem(KEY_NAME),
  signIn: (key) => sessionStorage.setItem(KEY_NAME, key),
  signOut: () => sessionStorage.removeItem(KEY_NAME),
};

function authHeaders(extra = {}) {
  const headers = new Headers(extra);
  const key = session.key();
  if (key) headers.set("Authorization", `Bearer ${key}`);
  return headers;
}

async function failure(status, statusText, readBody) {
  let message = `${status} ${statusText}`.trim();
  try {
    const body = JSON.parse(await readBody());
    if (body && body.detail) message = String(body.detail);
  } catch {
    // not a JSON error body: keep the status line
  }
  return status === 401 ? new AuthError(message) : new ApiError(status, message);
}

export async function request(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: authHeaders(options.headers) });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "the server could not be reached");
  }
  if (!response.ok) throw await failure(response.status, response.statusText, () => response.text());
  return response;
}

export async function getJson(path, signal) {
  return (await request(path, { signal })).json();
}

export async function postJson(path, body) {
  const options = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  return (await request(path, options)).json();
}

function attachmentName(disposition, fallback) {
  const match = /filename="?([^";]+)"?/i.exec(disposition || "");
  return match ? match[1] : fallback;
}

// A file behind the bearer header: fetched, then saved through a temporary blob link.
export async function download(path, fallbackName) {
  const response = await request(path);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = attachmentName(response.headers.get("Content-Disposition"), fallbackName);
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// POST one file; XMLHttpRequest because fetch does not report upload progress. `fields`:
// more form fields (corrects: the job a file of corrections corrects).
export function uploadFile(file, dataset, sheet, onProgress, fields = {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("dataset", dataset);
    if (sheet) form.append("sheet", sheet);
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "v1/uploads");
    authHeaders({ "Idempotency-Key": randomKey() }).forEach((value, name) => {
      xhr.setRequestHeader(name, value);
    });
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", async () => {
      if (xhr.status === 202) {
        resolve(JSON.parse(xhr.responseText));
      } else {
        reject(await failure(xhr.status, xhr.statusText, async () => xhr.responseText));
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "the upload did not reach the server")));
    xhr.send(form);
  });
}

// Each `data:` event of an SSE stream, parsed as JSON, until the stream ends or
// `onEvent` returns true (done).
export async function readEvents(path, onEvent, signal) {
  const response = await request(path, { headers: { Accept: "text/event-stream" }, signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (data && onEvent(JSON.parse(data))) return true;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
