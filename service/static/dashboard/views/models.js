// Models: the list, and one model's details, a predict form and export downloads.

import { api, describe, listExportFormats } from "../api.js";
import { facts, h, num, replace, shortId, table, time } from "../dom.js";
import { deleteButton, errorBox, fill } from "./shared.js";

export function modelsView(root, _id, { signal }) {
  const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  root.append(h("div", { class: "view-head" }, h("h1", {}, "Models")), list);
  fill(
    list,
    async () => {
      const page = await api("/v1/models?limit=100", { signal });
      if (!page.data.length) return h("p", { class: "muted empty" }, "No models yet: a job that succeeds makes one.");
      return table(
        ["model", "task", "features", "hidden layers", "parameters", "job", "created"],
        page.data.map((model) =>
          h(
            "tr",
            { dataset: { model: model.id } },
            h("td", { class: "name" }, h("a", { href: `#/models/${encodeURIComponent(model.id)}` }, model.name || shortId(model.id))),
            h("td", {}, model.task),
            h("td", { class: "num" }, num(model.n_features)),
            h("td", {}, h("code", {}, JSON.stringify(model.hidden_layer_sizes))),
            h("td", { class: "num" }, num(model.n_parameters)),
            h("td", {}, h("a", { href: `#/jobs/${encodeURIComponent(model.job_id)}` }, shortId(model.job_id))),
            h("td", {}, time(model.created_at)),
          ),
        ),
        { class: "list", id: "models-table" },
      );
    },
    signal,
  );
}

/** "1, 2.5\n3, 4" → [[1, 2.5], [3, 4]]; an error naming the line and cell otherwise. */
export function parseRows(text, width) {
  const rows = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const cells = line.split(",").map((cell) => cell.trim());
    const row = cells.map((cell, j) => {
      const value = cell === "" ? NaN : Number(cell);
      if (!Number.isFinite(value)) throw new Error(`line ${i + 1}, value ${j + 1}: ${JSON.stringify(cell)} is not a number`);
      return value;
    });
    if (width && row.length !== width) throw new Error(`line ${i + 1}: ${row.length} values, the model expects ${width}`);
    rows.push(row);
  });
  if (!rows.length) throw new Error("enter at least one row: values separated by commas, one row per line");
  return rows;
}

function predictForm(model) {
  const input = h("textarea", { id: "predict-input", rows: 4, spellcheck: false, placeholder: `${model.n_features} comma-separated values per line` });
  const output = h("div", { id: "predict-output" });
  const names = model.feature_names?.length ? `Features: ${model.feature_names.join(", ")}` : null;

  async function predict(event) {
    event.preventDefault();
    let rows;
    try {
      rows = parseRows(input.value, model.n_features);
    } catch (error) {
      replace(output, errorBox(error.message));
      return;
    }
    try {
      const answer = await api(`/v1/models/${encodeURIComponent(model.id)}/predict`, { method: "POST", json: { inputs: rows } });
      const classes = answer.classes || [];
      replace(output,
        table(
          ["#", "input", "prediction", ...classes.map((c) => `P(${c})`)],
          answer.predictions.map((prediction, i) =>
            h(
              "tr",
              {},
              h("td", { class: "num" }, String(i + 1)),
              h("td", {}, h("code", {}, rows[i].join(", "))),
              h("td", { class: "prediction" }, Array.isArray(prediction) ? JSON.stringify(prediction) : typeof prediction === "number" ? num(prediction) : String(prediction)),
              (answer.probabilities?.[i] || []).map((p) => h("td", { class: "num" }, num(p, 3))),
            ),
          ),
          { class: "list compact", id: "predict-table" },
        ),
      );
    } catch (error) {
      replace(output, errorBox(describe(error)));
    }
  }

  return h(
    "form",
    { class: "card", id: "predict-form", on: { submit: predict } },
    h("h2", {}, "Predict"),
    names ? h("p", { class: "muted small" }, names) : null,
    input,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Predict")),
    output,
  );
}

async function download(model, format, notify) {
  try {
    const response = await api(`/v1/models/${encodeURIComponent(model.id)}/export?format=${encodeURIComponent(format)}`, { raw: true });
    const disposition = response.headers.get("Content-Disposition") || "";
    const named = /filename="?([^";]+)"?/.exec(disposition);
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: named ? named[1] : `${model.id}.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    notify(`Export as ${format} refused: ${describe(error)}`, "error");
  }
}

export function modelView(root, id, context) {
  const { signal, notify } = context;
  const path = `/v1/models/${encodeURIComponent(id)}`;
  fill(
    root,
    async () => {
      const model = await api(path, { signal });
      const formats = await listExportFormats();
      const metrics = Object.entries(model.metrics || {});
      return [
        h("div", { class: "view-head" }, h("h1", {}, model.name || shortId(model.id)), h("div", { class: "actions" }, deleteButton(`model ${model.id}`, path, "#/models", context))),
        h(
          "section",
          { class: "summary" },
          facts([
            ["id", h("code", {}, model.id)],
            ["task", model.task],
            ["features", num(model.n_features)],
            ["classes", model.classes ? h("span", { class: "tags" }, model.classes.slice(0, 50).map((c) => h("span", { class: "tag" }, String(c)))) : undefined],
            ["hidden layers", h("code", {}, JSON.stringify(model.hidden_layer_sizes))],
            ["activation", model.activation],
            ["parameters", num(model.n_parameters)],
            ["job", h("a", { href: `#/jobs/${encodeURIComponent(model.job_id)}` }, shortId(model.job_id))],
            ["dataset", model.dataset_id ? h("a", { href: `#/datasets/${encodeURIComponent(model.dataset_id)}` }, shortId(model.dataset_id)) : undefined],
            ["created", time(model.created_at)],
          ]),
        ),
        metrics.length ? h("section", {}, h("h2", {}, "Metrics"), facts(metrics.map(([name, value]) => [name, num(value)]))) : null,
        predictForm(model),
        h(
          "section",
          { class: "card" },
          h("h2", {}, "Export"),
          h("div", { class: "actions", id: "export-links" }, formats.map((format) => h("button", { type: "button", class: "ghost", dataset: { format }, on: { click: () => download(model, format, notify) } }, `Download .${format}`))),
        ),
      ];
    },
    signal,
  );
}
