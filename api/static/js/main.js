// The page: sign in with an API key, then two views chosen by the address's hash: the
// uploads (#/: datasets, upload, recent list) and one upload's own page (#/uploads/<id>).

import { AuthError, getJson, readEvents, session } from "./api.js";
import { loadDatasets, selectedDataset, wireDatasets } from "./datasets.js";
import { loadLocales } from "./locales.js";
import { $, announce } from "./dom.js";
import { applyStatus, loadRecent, resetRecent, setLive, wireRecent } from "./recent.js";
import { closeUploadView, openUploadView, uploadViewStatus } from "./upload_view.js";
import { forgetUploads, restoreUploads, stopUploads, wireUploads } from "./uploads.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// aborted on sign-out: ends the tenant's event stream
let signedIn = new AbortController();

function showSignIn(message = "") {
  signedIn.abort();
  signedIn = new AbortController();
  session.signOut();
  forgetUploads();
  stopUploads();
  closeUploadView();
  $("#app").hidden = true;
  $("#who").hidden = true;
  $("#sign-in").hidden = false;
  $("#sign-in-error").textContent = message;
  $("#upload-list").replaceChildren();
  $("#no-uploads").hidden = false;
  resetRecent();
  $("#api-key").focus();
}

// Every failure lands here: an invalid key signs out, anything else is shown in `target`.
function report(error, target) {
  if (error instanceof AuthError) {
    showSignIn(`Signed out: ${error.message}`);
    return;
  }
  if (target) target.textContent = error.message;
  else announce(error.message);
}

// One stream of every status change of the tenant's jobs, for as long as the tab is signed
// in; it reconnects with a back-off when it drops.
async function followTenant(signal) {
  let failures = 0;
  while (!signal.aborted) {
    try {
      setLive(true);
      await readEvents(
        "v1/uploads/events",
        (status) => {
          failures = 0;
          applyStatus(status, report);
          uploadViewStatus(status);
          return false;
        },
        signal,
      );
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof AuthError) {
        report(error);
        return;
      }
    }
    if (signal.aborted) return;
    failures += 1;
    setLive(false);
    await sleep(Math.min(1000 * 2 ** failures, 15_000));
    if (!signal.aborted) loadRecent(report);
  }
}

function route(focus = true) {
  const match = /^#\/uploads\/([0-9A-Za-z_-]+)$/.exec(location.hash);
  if (match) {
    $("#home-view").hidden = true;
    openUploadView(match[1], report, focus);
  } else {
    closeUploadView();
    $("#home-view").hidden = false;
    if (focus && location.hash === "#/") $("#recent-title").scrollIntoView();
  }
}

async function enter(focusApp) {
  // the key check: who it belongs to
  const { tenant } = await getJson("v1/me");
  await loadDatasets(report);
  $("#sign-in").hidden = true;
  $("#app").hidden = false;
  $("#who").hidden = false;
  $("#who-text").textContent = `Signed in as ${tenant}`;
  $("#sign-in-error").textContent = "";
  announce(`Signed in as ${tenant}`);
  loadLocales(report);
  loadRecent(report);
  restoreUploads(report, () => loadRecent(report));
  followTenant(signedIn.signal);
  route(false);
  if (focusApp && $("#upload-view").hidden) $("#dataset").focus();
}

async function signIn(event) {
  event.preventDefault();
  const key = $("#api-key").value.trim();
  if (!key) {
    $("#sign-in-error").textContent = "Enter your API key.";
    $("#api-key").focus();
    return;
  }
  session.signIn(key);
  try {
    await enter(true);
    $("#api-key").value = "";
  } catch (error) {
    session.signOut();
    $("#sign-in-error").textContent = error instanceof AuthError ? "That API key is not valid." : error.message;
    $("#api-key").focus();
  }
}

function start() {
  $("#sign-in-form").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", () => showSignIn("You are signed out."));
  window.addEventListener("hashchange", () => {
    if (session.key()) route();
  });
  wireDatasets(report);
  wireRecent(report);
  wireUploads(selectedDataset, report, () => loadRecent(report));
  if (session.key()) {
    enter(false).catch((error) => report(error, $("#sign-in-error")));
  } else {
    $("#api-key").focus();
  }
}

start();
