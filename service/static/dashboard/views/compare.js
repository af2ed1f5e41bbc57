// Several jobs' curves overlaid: training loss, validation loss and validation score per epoch.

import { api, describe, unspoken } from "../api.js";
import { alignByEpoch, lineChart, PALETTE } from "../charts.js";
import { h, num, progressBar, replace, sleep, statusBadge, table } from "../dom.js";
import { FINISHED, jobTitle } from "./jobs.js";

const POLL_MS = 2000;
const MAX_JOBS = 8;

export function compareView(root, _id, { signal, params, notify }) {
  const ids = (params.get("jobs") || "").split(",").filter(Boolean).slice(0, MAX_JOBS);
  root.append(h("div", { class: "view-head" }, h("h1", {}, `Compare ${ids.length} jobs`), h("a", { href: "#/jobs" }, "← jobs")));
  if (!ids.length) {
    root.append(h("p", { class: "muted" }, "Tick jobs in the list, then Compare."));
    return undefined;
  }
  const summary = h("div");
  const grid = h("section", { class: "charts" });
  root.append(summary, grid);
  let charts = null;

  function build(jobs) {
    const series = jobs.map((job, i) => ({ label: jobTitle(job), color: PALETTE[i % PALETTE.length] }));
    charts = [
      ["loss", "Training loss", "loss"],
      ["val_loss", "Validation loss", "loss"],
      ["val_score", "Validation score", "score"],
    ].map(([field, title, yLabel]) => ({ field, chart: lineChart({ title, name: `compare-${field}`, yLabel, series }) }));
    replace(grid, ...charts.map(({ chart }) => chart.element));
  }

  function showSummary(jobs) {
    replace(summary,
      table(
        ["", "job", "status", "progress", "loss", "val loss", "val score", "parameters"],
        jobs.map((job, i) =>
          h(
            "tr",
            {},
            h("td", {}, h("span", { class: `swatch swatch-${i}` })),
            h("td", { class: "name" }, h("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, jobTitle(job))),
            h("td", {}, statusBadge(job.status)),
            h("td", {}, progressBar(job.progress)),
            h("td", { class: "num" }, num(job.metrics?.loss)),
            h("td", { class: "num" }, num(job.metrics?.val_loss)),
            h("td", { class: "num" }, num(job.metrics?.val_score)),
            h("td", {}, h("code", {}, differingParams(job, jobs))),
          ),
        ),
        { class: "list" },
      ),
    );
  }

  async function refresh() {
    const jobs = await Promise.all(ids.map((id) => api(`/v1/jobs/${encodeURIComponent(id)}`, { signal })));
    const histories = await Promise.all(ids.map((id) => api(`/v1/jobs/${encodeURIComponent(id)}/metrics`, { signal }).then((m) => m.history)));
    if (!charts) build(jobs);
    showSummary(jobs);
    for (const { field, chart } of charts) {
      const [xs, columns] = alignByEpoch(histories, field);
      chart.setData(xs, columns);
    }
    return jobs.every((job) => FINISHED.has(job.status));
  }

  (async () => {
    while (!signal.aborted) {
      try {
        if (!document.hidden && (await refresh())) return; // all finished: nothing more to draw
      } catch (error) {
        if (!unspoken(error, signal)) notify(describe(error), "error");
        return;
      }
      await sleep(POLL_MS, signal);
    }
  })();

  return () => charts?.forEach(({ chart }) => chart.destroy());
}

/** The parameters in which this job differs from at least one other, as "name=value". */
function differingParams(job, jobs) {
  const names = Object.keys(job.params || {}).filter((name) =>
    jobs.some((other) => JSON.stringify(other.params?.[name]) !== JSON.stringify(job.params[name])),
  );
  return names.map((name) => `${name}=${JSON.stringify(job.params[name])}`).join(" ") || "same parameters";
}
