// The dashboard: a hash router over a few views, the API key prompt, notices.

import { apiKey, onUnauthorized, setApiKey } from "./api.js";
import { clear, h } from "./dom.js";
import { compareView } from "./views/compare.js";
import { datasetView, datasetsView } from "./views/datasets.js";
import { jobView } from "./views/job.js";
import { jobsView } from "./views/jobs.js";
import { modelView, modelsView } from "./views/models.js";
import { searchView, searchesView } from "./views/searches.js";

const ROUTES = [
  [/^#?\/?$/, jobsView, "jobs"],
  [/^#\/jobs$/, jobsView, "jobs"],
  [/^#\/jobs\/([\w-]+)$/, jobView, "jobs"],
  [/^#\/compare$/, compareView, "jobs"],
  [/^#\/datasets$/, datasetsView, "datasets"],
  [/^#\/datasets\/([\w-]+)$/, datasetView, "datasets"],
  [/^#\/models$/, modelsView, "models"],
  [/^#\/models\/([\w-]+)$/, modelView, "models"],
  [/^#\/searches$/, searchesView, "searches"],
  [/^#\/searches\/([\w-]+)$/, searchView, "searches"],
];

const viewRoot = document.getElementById("view");
const notices = document.getElementById("notices");
const keyDialog = document.getElementById("key-dialog");
const keyInput = document.getElementById("api-key");
const keyReason = document.getElementById("key-reason");

let current = null; // {controller, cleanup}

/** A message above the view; errors stay until closed, others fade after a while. */
export function notify(message, kind = "info") {
  const text = String(message);
  for (const existing of notices.children) {
    if (existing.dataset.text === text) return; // the same message once (a poll repeats it)
  }
  const close = h("button", { type: "button", class: "ghost close", "aria-label": "Dismiss" }, "×");
  const notice = h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status", dataset: { text } }, h("pre", {}, text), close);
  close.addEventListener("click", () => notice.remove());
  notices.append(notice);
  if (kind !== "error") setTimeout(() => notice.remove(), 6000);
}

export function clearNotices() {
  clear(notices);
}

function render() {
  if (current) {
    current.controller.abort();
    current.cleanup?.();
    current = null;
  }
  clearNotices(); // a new view: what was said about the last one no longer applies
  const [path, search = ""] = location.hash.split("?");
  const params = new URLSearchParams(search);
  for (const [pattern, view, section] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    for (const link of document.querySelectorAll("[data-nav]")) {
      link.classList.toggle("active", link.dataset.nav === section);
    }
    const controller = new AbortController();
    clear(viewRoot);
    const context = { signal: controller.signal, params, notify, navigate };
    current = { controller, cleanup: null };
    const cleanup = view(viewRoot, match[1] ? decodeURIComponent(match[1]) : undefined, context);
    current.cleanup = typeof cleanup === "function" ? cleanup : null;
    return;
  }
  clear(viewRoot).append(h("p", {}, "Nothing here. ", h("a", { href: "#/jobs" }, "Back to the jobs.")));
}

/** Show another view now (what the view says next, e.g. a notice, belongs to the new one). */
export function navigate(hash) {
  if (location.hash !== hash) history.pushState(null, "", hash);
  render();
}

function askForKey(reason) {
  if (keyDialog.open) return; // already asking (a poll's next 401 must not clear the field)
  keyReason.textContent = reason;
  keyInput.value = "";
  keyDialog.showModal();
  keyInput.focus();
}

onUnauthorized((error) => {
  const reason = apiKey()
    ? `The server refused this key: ${error.detail}`
    : "This server requires an API key.";
  askForKey(reason);
});

document.getElementById("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  setApiKey(key);
  keyDialog.close();
  render();
});

document.getElementById("key-forget").addEventListener("click", () => {
  setApiKey("");
  keyDialog.close();
  render();
});

document.getElementById("key-button").addEventListener("click", () => {
  askForKey(apiKey() ? "A key is set for this tab. Enter another to replace it." : "Enter the API key to use in this tab.");
});

window.addEventListener("hashchange", render);
render();
