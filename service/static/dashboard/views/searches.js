// Searches: the list (polled), and one search's trials, sortable by objective or any column.

import { api, describe, unspoken } from "../api.js";
import { scatterChart } from "../charts.js";
import { facts, h, num, progressBar, replace, shortId, sleep, statusBadge, table, time } from "../dom.js";
import { FINISHED } from "./jobs.js";
import { deleteButton, fill } from "./shared.js";

const POLL_MS = 2000;

function searchTitle(search) {
  return search.name || shortId(search.id);
}

function counts(trials) {
  return ["succeeded", "failed", "cancelled", "running", "queued"]
    .filter((name) => trials[name])
    .map((name) => `${trials[name]} ${name}`)
    .join(", ") || "none yet";
}

export function searchesView(root, _id, { signal }) {
  const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  root.append(h("div", { class: "view-head" }, h("h1", {}, "Searches")), list);
  (async () => {
    while (!signal.aborted) {
      if (!document.hidden) {
        await fill(
          list,
          async () => {
            const page = await api("/v1/searches?limit=50", { signal });
            if (!page.data.length) return h("p", { class: "muted empty" }, "No searches yet: POST /v1/searches, or `mlpforge search create`.");
            return table(
              ["search", "status", "strategy", "progress", "objective", "best", "best model", "created"],
              page.data.map((search) =>
                h(
                  "tr",
                  { dataset: { search: search.id, status: search.status } },
                  h("td", { class: "name" }, h("a", { href: `#/searches/${encodeURIComponent(search.id)}` }, searchTitle(search))),
                  h("td", {}, statusBadge(search.status)),
                  h("td", {}, search.strategy),
                  h("td", {}, progressBar(search.progress)),
                  h("td", {}, `${search.objective.metric} (${search.objective.goal})`),
                  h("td", { class: "num" }, num(search.best_objective)),
                  h("td", {}, search.best_model_id ? h("a", { href: `#/models/${encodeURIComponent(search.best_model_id)}` }, shortId(search.best_model_id)) : "—"),
                  h("td", {}, time(search.created_at)),
                ),
              ),
              { class: "list", id: "searches-table" },
            );
          },
          signal,
        );
      }
      await sleep(POLL_MS, signal);
    }
  })();
}

/** The trials, sorted by `sort.key` (objective: best first for the search's goal). */
export function trialsTable(search, sort, resort) {
  const names = [...new Set(search.leaderboard.flatMap((trial) => Object.keys(trial.params)))].sort();
  const columns = [["rank", "#"], ...names.map((name) => [`param:${name}`, name]), ["objective", "objective"],
    ...(search.halving ? [["rung", "rung"]] : []), ["epochs", "epochs"], ["seconds", "seconds"], ["status", "status"]];
  const value = (trial, key) => (key.startsWith("param:") ? trial.params[key.slice(6)] : trial[key]);
  const rows = [...search.leaderboard].sort((a, b) => {
    const x = value(a, sort.key);
    const y = value(b, sort.key);
    if (x === y) return a.rank - b.rank;
    if (x === null || x === undefined) return 1; // missing objectives last, either way
    if (y === null || y === undefined) return -1;
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    return sort.descending ? -order : order;
  });
  const header = ([key, label]) =>
    h("th", {}, h("button", { type: "button", class: "ghost sort", dataset: { sort: key }, on: { click: () => resort(key) } },
      label, sort.key === key ? (sort.descending ? " ↓" : " ↑") : ""));
  return h(
    "table",
    { class: "list", id: "trials-table" },
    h("thead", {}, h("tr", {}, columns.map(header), h("th", {}, "job"))),
    h("tbody", {}, rows.map((trial) =>
      h(
        "tr",
        { dataset: { candidate: String(trial.candidate), objective: String(trial.objective ?? "") } },
        columns.map(([key]) => h("td", { class: key === "status" ? "" : "num" },
          key === "status" ? statusBadge(trial.status) : num(value(trial, key)))),
        h("td", {}, h("a", { href: `#/jobs/${encodeURIComponent(trial.job_id)}` }, shortId(trial.job_id))),
      ))),
  );
}

export function searchView(root, id, { signal, notify, navigate }) {
  const path = `/v1/searches/${encodeURIComponent(id)}`;
  const head = h("div", { class: "view-head" }, h("h1", {}, shortId(id)));
  const summary = h("div", {});
  const trials = h("div", {});
  const chooser = h("select", { id: "scatter-param", "aria-label": "parameter", on: { change: () => drawScatter() } });
  const scatter = scatterChart({ title: "Objective by parameter", yLabel: "objective", name: "scatter" });
  root.append(head, summary, h("h2", {}, "Trials"), trials,
    h("section", { class: "scatter" }, h("label", {}, "Parameter ", chooser), scatter.element));
  signal.addEventListener("abort", () => scatter.destroy());
  let search = null;
  let sort = null; // {key, descending}; null: the leaderboard's order (objective, best first)
  const bestFirst = () => ({ key: "objective", descending: search.objective.goal === "maximize" });

  function resort(key) {
    const current = sort || bestFirst();
    const descending = current.key === key ? !current.descending : key === "objective" && bestFirst().descending;
    sort = { key, descending };
    draw();
  }

  function draw() {
    replace(trials, search.leaderboard.length ? trialsTable(search, sort || bestFirst(), resort) : h("p", { class: "muted" }, "No trial has finished yet."));
    const names = [...new Set(search.leaderboard.flatMap((trial) => Object.keys(trial.params)))].sort();
    if (names.join() !== [...chooser.options].map((o) => o.value).join()) {
      const chosen = chooser.value;
      replace(chooser, ...names.map((name) => h("option", { value: name }, name)));
      if (names.includes(chosen)) chooser.value = chosen;
    }
    drawScatter();
  }

  function drawScatter() {
    const name = chooser.value;
    if (!search || !name) return;
    scatter.show(search.leaderboard.map((trial) => ({ x: trial.params[name], y: trial.objective })), name);
  }

  function show() {
    const actions = FINISHED.has(search.status)
      ? deleteButton(`search ${searchTitle(search)} and its trial jobs`, path, "#/searches", { navigate, notify })
      : h("button", { type: "button", class: "danger", on: { click: cancel } }, "Cancel");
    replace(head, h("h1", {}, searchTitle(search), statusBadge(search.status)), actions);
    replace(summary, facts([
      ["progress", progressBar(search.progress)],
      ["strategy", search.halving ? `halving: rungs of ${search.halving.n_resources.join(", ")} epochs` : search.strategy],
      ["objective", `${search.objective.metric} (${search.objective.goal})${search.cv ? `, ${search.cv}-fold cv` : ""}`],
      ["trials", `${counts(search.trials)} of ${search.trials.planned} jobs`],
      ["best", num(search.best_objective)],
      ["best params", search.best_params ? h("code", {}, JSON.stringify(search.best_params)) : "—"],
      ["best model", search.best_model_id ? h("a", { href: `#/models/${encodeURIComponent(search.best_model_id)}` }, search.best_model_id) : "—"],
      ["waiting", search.waiting || undefined],
      ["error", search.error ? search.error.message : undefined],
      ["created", time(search.created_at)],
    ]));
    draw();
  }

  async function cancel() {
    try {
      search = await api(`${path}/cancel`, { method: "POST" });
      notify(`Cancelling ${searchTitle(search)}`);
      show();
    } catch (error) {
      notify(describe(error), "error");
    }
  }

  (async () => {
    while (!signal.aborted) {
      try {
        search = await api(path, { signal });
        show();
        if (FINISHED.has(search.status)) return;
      } catch (error) {
        if (!unspoken(error, signal)) notify(`Cannot read the search: ${describe(error)}`, "error");
      }
      await sleep(POLL_MS, signal);
    }
  })();
}
