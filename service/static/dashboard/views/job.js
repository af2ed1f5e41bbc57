// One job: live loss and score curves (seeded from /metrics, then its event stream), the
// resolved parameters, the evaluation, warnings, cancel.

import { api, describe, unspoken } from "../api.js";
import { lineChart } from "../charts.js";
import { facts, h, num, progressBar, replace, shortId, statusBadge, table, time } from "../dom.js";
import { followEvents } from "../sse.js";
import { cancelJob, FINISHED, jobTitle, tagList } from "./jobs.js";
import { deleteButton, errorBox } from "./shared.js";

export function lossCharts() {
  const loss = lineChart({
    title: "Loss",
    name: "loss",
    yLabel: "loss",
    series: [{ label: "training loss" }, { label: "validation loss", dash: [6, 4] }],
  });
  const score = lineChart({
    title: "Validation score",
    name: "score",
    yLabel: "score",
    series: [{ label: "validation score", color: "#2f9e44" }],
  });
  return {
    elements: [loss.element, score.element],
    show(history) {
      const xs = history.map((entry) => entry.epoch);
      loss.setData(xs, [history.map((e) => e.loss ?? null), history.map((e) => e.val_loss ?? null)]);
      score.setData(xs, [history.map((e) => e.val_score ?? null)]);
      score.element.classList.toggle("no-data", !history.some((e) => e.val_score !== null && e.val_score !== undefined));
    },
    destroy() {
      loss.destroy();
      score.destroy();
    },
  };
}

/** The job's evaluation: {split: {metric: value}} as a table, or flat metrics as facts. */
function evaluationBlock(evaluation) {
  if (!evaluation || typeof evaluation !== "object" || !Object.keys(evaluation).length) return null;
  const splits = Object.entries(evaluation).filter(([, value]) => value && typeof value === "object");
  if (!splits.length) return facts(Object.entries(evaluation).map(([name, value]) => [name, num(value)]));
  const metrics = [...new Set(splits.flatMap(([, values]) => Object.keys(values)))];
  return table(
    ["split", ...metrics],
    splits.map(([split, values]) => h("tr", {}, h("th", {}, split), metrics.map((metric) => h("td", { class: "num" }, num(values[metric]))))),
    { class: "list evaluation" },
  );
}

function paramValue(value) {
  return value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
}

export function jobView(root, id, { signal, notify, navigate }) {
  const path = `/v1/jobs/${encodeURIComponent(id)}`;
  const head = h("div", { class: "view-head" });
  const summary = h("section", { class: "summary" });
  const charts = lossCharts();
  const latest = h("section");
  const details = h("div", { class: "details" });
  root.append(head, summary, h("section", { class: "charts" }, charts.elements), latest, details);

  let job = null;
  const history = [];

  function add(entry) {
    const last = history[history.length - 1];
    if (last && entry.epoch <= last.epoch) return false; // replayed from the stream's start
    history.push(entry);
    return true;
  }

  function renderHead() {
    const active = !FINISHED.has(job.status);
    replace(head,
      h("h1", {}, jobTitle(job), " ", statusBadge(job.status)),
      h(
        "div",
        { class: "actions" },
        active
          ? h("button", { type: "button", class: "danger", id: "cancel-job", on: { click: () => cancelJob(job, notify) } }, "Cancel")
          : deleteButton(`job ${job.id} (its model stays)`, path, "#/jobs", { navigate, notify }),
      ),
    );
    const maxIter = job.params?.max_iter;
    replace(summary,
      progressBar(job.progress, `${num(job.epoch)}${maxIter ? ` / ${num(maxIter)}` : ""} epochs`),
      tagList(job.tags),
      facts([
        ["id", h("code", {}, job.id)],
        ["dataset", h("a", { href: `#/datasets/${encodeURIComponent(job.dataset_id)}` }, shortId(job.dataset_id))],
        ["task", job.task],
        ["device", job.device],
        ["model", job.model_id ? h("a", { href: `#/models/${encodeURIComponent(job.model_id)}`, id: "job-model" }, shortId(job.model_id)) : "—"],
        ["converged", job.converged === undefined || job.converged === null ? undefined : String(job.converged)],
        ["created", time(job.created_at)],
        ["started", job.started_at ? time(job.started_at) : undefined],
        ["finished", job.finished_at ? time(job.finished_at) : undefined],
      ]),
    );
  }

  function renderLatest() {
    const metrics = job.metrics || {};
    replace(
      latest,
      h("h2", {}, "Latest epoch"),
      facts([
        ["loss", num(metrics.loss)],
        ["validation loss", num(metrics.val_loss)],
        ["validation score", num(metrics.val_score)],
        ["learning rate", num(metrics.learning_rate)],
      ]),
    );
  }

  /** What changes only with the job's body: errors, warnings, evaluation, parameters. */
  function renderDetails() {
    const params = Object.entries(job.params || {}).sort(([a], [b]) => a.localeCompare(b));
    replace(
      details,
      job.error ? errorBox([h("strong", {}, job.error.type || "error"), ": ", job.error.message || ""]) : null,
      job.warnings?.length ? h("section", {}, h("h2", {}, "Warnings"), h("ul", { class: "warnings" }, job.warnings.map((text) => h("li", {}, text)))) : null,
      job.evaluation ? h("section", {}, h("h2", {}, "Evaluation"), evaluationBlock(job.evaluation)) : null,
      h(
        "section",
        {},
        h("h2", {}, "Parameters (resolved)"),
        table(["parameter", "value"], params.map(([name, value]) => h("tr", {}, h("th", {}, name), h("td", {}, h("code", {}, paramValue(value))))), { class: "list params" }),
      ),
    );
  }

  function renderAll() {
    renderHead();
    renderLatest();
    renderDetails();
  }

  // A fast job sends hundreds of epochs a second: the page is redrawn once a frame at most.
  let frame = 0;
  function progressed() {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      charts.show(history);
      renderHead();
      renderLatest();
    });
  }

  function onEvent(event) {
    if (event.type === "progress") {
      let entry;
      try {
        entry = JSON.parse(event.data);
      } catch {
        return true;
      }
      if (add(entry)) {
        job.epoch = entry.epoch;
        job.status = "running";
        const maxIter = job.params?.max_iter;
        if (maxIter) job.progress = Math.min(1, entry.epoch / maxIter);
        job.metrics = { loss: entry.loss, val_loss: entry.val_loss, val_score: entry.val_score, learning_rate: entry.learning_rate };
        progressed();
      }
      return true;
    }
    if (event.type === "status") {
      try {
        job = JSON.parse(event.data);
      } catch {
        return true;
      }
      renderAll();
      if (FINISHED.has(job.status)) {
        reseed().catch(() => {}); // the whole history, should the stream have skipped any
        return false;
      }
    }
    return true;
  }

  async function reseed() {
    const { history: entries } = await api(`${path}/metrics`, { signal });
    history.length = 0;
    for (const entry of entries) add(entry);
    charts.show(history);
  }

  (async () => {
    try {
      job = await api(path, { signal });
      renderAll();
      await reseed();
      if (!FINISHED.has(job.status)) {
        await followEvents(`${path}/events`, {
          signal,
          onEvent,
          onError: (error) => notify(`The job's events: ${describe(error)}`, "error"),
        });
      }
    } catch (error) {
      if (!unspoken(error, signal)) replace(root, errorBox(describe(error)));
    }
  })();

  return () => {
    if (frame) cancelAnimationFrame(frame);
    charts.destroy();
  };
}
