// The page: sign in with an API key, then datasets, uploads and the recent list.

import { AuthError, session } from "./api.js";
import { loadDatasets, selectedDataset, wireDatasets } from "./datasets.js";
import { loadLocales } from "./locales.js";
import { $, announce } from "./dom.js";
import { loadRecent, resetRecent, wireRecent } from "./recent.js";
import { stopUploads, wireUploads } from "./uploads.js";

function showSignIn(message = "") {
  session.signOut();
  stopUploads();
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

async function enter(focusApp) {
  // the datasets call doubles as the key check
  await loadDatasets(report);
  $("#sign-in").hidden = true;
  $("#app").hidden = false;
  $("#who").hidden = false;
  $("#who-text").textContent = "Signed in";
  $("#sign-in-error").textContent = "";
  if (focusApp) $("#dataset").focus();
  announce("Signed in");
  loadLocales(report);
  loadRecent(report);
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
