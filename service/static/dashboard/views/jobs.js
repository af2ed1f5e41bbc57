// The jobs: a live list (polled every 2 s), filters, cancel buttons, runs to compare.

import { api, ApiError, describe, query, unspoken } from "../api.js";
import { h, num, progressBar, replace, shortId, sleep, statusBadge, table, time } from "../dom.js";

const POLL_MS = 2000;
const PAGE_SIZE = 50;
const MAX_COMPARED = 8;
export const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"];
const ACTIVE = new Set(["queued", "running"]);
export const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

// Jobs ticked for comparison, kept while the tab lives.
const selected = new Set();

export function jobTitle(job) {
  return job.name || shortId(job.id);
}

export function tagList(tags) {
  return Array.isArray(tags) && tags.length ? h("span", { class: "tags" }, tags.map((tag) => h("span", { class: "tag" }, tag))) : null;
}

export async function cancelJob(job, notify) {
  try {
    await api(`/v1/jobs/${encodeURIComponent(job.id)}/cancel`, { method: "POST" });
    notify(`Cancelling ${jobTitle(job)}`);
  } catch (error) {
    notify(describe(error), "error");
  }
}

export function jobsView(root, _id, { signal, params, notify, navigate }) {
  const filters = {
    status: params.get("status") || "",
    dataset_id: params.get("dataset_id") || "",
    tag: params.get("tag") || "",
  };
  let tagOnServer = true; // until the server refuses `tag=`
  let cursor = null;
  const cursors = []; // earlier pages' cursors, for "newer"

  const refilter = (name, value) => {
    const next = { ...filters, [name]: value };
    navigate(`#/jobs${query(next)}`);
  };

  const statusSelect = h(
    "select",
    { id: "filter-status", on: { change: (e) => refilter("status", e.target.value) } },
    h("option", { value: "" }, "any status"),
    STATUSES.map((status) => h("option", { value: status, selected: status === filters.status }, status)),
  );
  const datasetSelect = h(
    "select",
    { id: "filter-dataset", on: { change: (e) => refilter("dataset_id", e.target.value) } },
    h("option", { value: "" }, "any dataset"),
  );
  const tagInput = h("input", { id: "filter-tag", type: "search", placeholder: "tag", value: filters.tag });
  const tagForm = h(
    "form",
    { class: "inline", on: { submit: (e) => (e.preventDefault(), refilter("tag", tagInput.value.trim())) } },
    tagInput,
  );
  const compareButton = h("button", { type: "button", id: "compare-button", disabled: true, on: { click: () => navigate(`#/compare?jobs=${[...selected].join(",")}`) } }, "Compare");
  const rows = new Map(); // job id → row, reused between polls
  const body = h("tbody");
  const filtered = filters.status || filters.dataset_id || filters.tag;
  const empty = h("p", { class: "muted empty", hidden: true }, filtered ? "No jobs match these filters." : "No jobs yet. Upload a dataset and train one from its page.");
  const pager = h("div", { class: "pager" });
  const datasetNames = new Map();

  root.append(
    h("div", { class: "view-head" }, h("h1", {}, "Jobs"), h("div", { class: "filters" }, statusSelect, datasetSelect, tagForm, compareButton)),
    h(
      "table",
      { class: "list jobs", id: "jobs-table" },
      h(
        "thead",
        {},
        h("tr", {}, ["", "job", "status", "progress", "epoch", "loss", "val loss", "val score", "dataset", "created", ""].map((t) => h("th", {}, t))),
      ),
      body,
    ),
    empty,
    pager,
  );

  function updateCompare() {
    compareButton.disabled = selected.size < 2;
    compareButton.textContent = selected.size ? `Compare (${selected.size})` : "Compare";
  }

  function row(job) {
    const tick = h("input", {
      type: "checkbox",
      checked: selected.has(job.id),
      "aria-label": `select ${job.id} to compare`,
      on: {
        change: (e) => {
          if (e.target.checked && selected.size >= MAX_COMPARED) {
            e.target.checked = false;
            notify(`Compare at most ${MAX_COMPARED} jobs at a time`);
            return;
          }
          if (e.target.checked) selected.add(job.id);
          else selected.delete(job.id);
          updateCompare();
        },
      },
    });
    const metrics = job.metrics || {};
    const datasetName = datasetNames.get(job.dataset_id);
    return h(
      "tr",
      { dataset: { job: job.id, status: job.status } },
      h("td", {}, tick),
      h("td", { class: "name" }, h("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, jobTitle(job)), tagList(job.tags)),
      h("td", {}, statusBadge(job.status)),
      h("td", {}, progressBar(job.progress)),
      h("td", { class: "num" }, num(job.epoch)),
      h("td", { class: "num" }, num(metrics.loss)),
      h("td", { class: "num" }, num(metrics.val_loss)),
      h("td", { class: "num" }, num(metrics.val_score)),
      h("td", {}, h("a", { href: `#/datasets/${encodeURIComponent(job.dataset_id)}` }, datasetName || shortId(job.dataset_id))),
      h("td", {}, time(job.created_at)),
      h("td", {}, ACTIVE.has(job.status) ? h("button", { type: "button", class: "small danger", on: { click: () => cancelJob(job, notify).then(poll) } }, "Cancel") : null),
    );
  }

  function show(page) {
    // Filtered here too: a server without tags ignores `tag=` (or refuses it, see poll()).
    const jobs = filters.tag ? page.data.filter((job) => (job.tags || []).includes(filters.tag)) : page.data;
    const next = [];
    for (const job of jobs) {
      const key = `${job.id}:${job.status}:${job.epoch}:${job.progress}`;
      let tr = rows.get(job.id);
      if (!tr || tr.dataset.key !== key) {
        tr = row(job);
        tr.dataset.key = key;
        rows.set(job.id, tr);
      }
      next.push(tr);
    }
    replace(body, ...next);
    empty.hidden = jobs.length > 0;
    replace(pager,
      cursors.length ? h("button", { type: "button", class: "ghost", on: { click: () => ((cursor = cursors.pop() ?? null), poll()) } }, "← newer") : null,
      page.next_cursor ? h("button", { type: "button", class: "ghost", on: { click: () => (cursors.push(cursor), (cursor = page.next_cursor), poll()) } }, "older →") : null,
    );
  }

  let inFlight = false;
  async function poll() {
    if (inFlight || signal.aborted) return;
    inFlight = true;
    try {
      const asked = { status: filters.status, dataset_id: filters.dataset_id, tag: tagOnServer ? filters.tag : "", limit: PAGE_SIZE, cursor };
      let page;
      try {
        page = await api(`/v1/jobs${query(asked)}`, { signal });
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 422 || !filters.tag || !tagOnServer) throw error;
        // A server without tags refuses `tag=`: filter this page here instead.
        tagOnServer = false;
        notify(`The server does not filter by tag (${error.detail}); filtering each page here.`);
        page = await api(`/v1/jobs${query({ ...asked, tag: "" })}`, { signal });
      }
      show(page);
    } catch (error) {
      if (!unspoken(error, signal)) notify(`Cannot list the jobs: ${describe(error)}`, "error");
    } finally {
      inFlight = false;
    }
  }

  async function loadDatasets() {
    try {
      const page = await api("/v1/datasets?limit=100", { signal });
      for (const dataset of page.data) {
        datasetNames.set(dataset.id, dataset.name || shortId(dataset.id));
        datasetSelect.append(h("option", { value: dataset.id, selected: dataset.id === filters.dataset_id }, dataset.name || dataset.id));
      }
      if (filters.dataset_id && !datasetNames.has(filters.dataset_id)) {
        datasetSelect.append(h("option", { value: filters.dataset_id, selected: true }, filters.dataset_id));
      }
    } catch {
      // the job list reports the error (a 401 asks for the key once)
    }
  }

  updateCompare();
  (async () => {
    await loadDatasets();
    // Poll while the view is shown: one request at a time, every 2 s, not while the tab is hidden.
    while (!signal.aborted) {
      if (!document.hidden && !document.getElementById("key-dialog")?.open) await poll();
      await sleep(POLL_MS, signal);
    }
  })();
}

export function jobsTable(jobs) {
  return table(
    ["job", "status", "progress", "val score", "created"],
    jobs.map((job) =>
      h(
        "tr",
        { dataset: { job: job.id, status: job.status } },
        h("td", { class: "name" }, h("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, jobTitle(job)), tagList(job.tags)),
        h("td", {}, statusBadge(job.status)),
        h("td", {}, progressBar(job.progress)),
        h("td", { class: "num" }, num(job.metrics?.val_score)),
        h("td", {}, time(job.created_at)),
      ),
    ),
    { class: "list" },
  );
}
