// Datasets: the list, uploads (JSON, CSV, .npz), and one dataset's preview and train form.

import { api, query } from "../api.js";
import { facts, h, num, replace, shortId, table, time } from "../dom.js";
import { jobsTable } from "./jobs.js";
import { deleteButton, fill, onSubmit } from "./shared.js";

function datasetTitle(dataset) {
  return dataset.name || shortId(dataset.id);
}

function uploadForm({ notify, navigate }) {
  const file = h("input", { type: "file", id: "upload-file", name: "file", accept: ".csv,.json,.npz,text/csv,application/json", required: true });
  const target = h("input", { type: "text", id: "upload-target", name: "target", placeholder: "default: the last column", autocomplete: "off" });
  const submit = h("button", { type: "submit", id: "upload-submit" }, "Upload");

  async function upload() {
    const chosen = file.files[0];
    if (!chosen) return;
    let record;
    if (/\.json$/i.test(chosen.name) || chosen.type === "application/json") {
      // {"name"?, "features": [[...]], "targets": [...], "feature_names"?: [...]}
      record = await api("/v1/datasets", { method: "POST", body: await chosen.text(), headers: { "Content-Type": "application/json" } });
    } else {
      const form = new FormData();
      form.append("file", chosen, chosen.name);
      if (target.value.trim()) form.append("target", target.value.trim());
      record = await api("/v1/datasets", { method: "POST", body: form });
    }
    navigate(`#/datasets/${encodeURIComponent(record.id)}`);
    notify(`Uploaded ${datasetTitle(record)}: ${record.n_samples} rows × ${record.n_features} features`);
  }

  return h(
    "form",
    { class: "card upload", id: "upload-form", on: { submit: onSubmit(submit, "Upload refused", upload, notify) } },
    h("h2", {}, "Upload a dataset"),
    h("label", {}, "File (CSV with a header row, JSON, or .npz with X and y) ", file),
    h("label", {}, "Target column (CSV) ", target),
    h("div", { class: "actions" }, submit),
  );
}

export function datasetsView(root, _id, context) {
  const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  root.append(h("div", { class: "view-head" }, h("h1", {}, "Datasets")), uploadForm(context), list);
  fill(
    list,
    async () => {
      const page = await api("/v1/datasets?limit=100", { signal: context.signal });
      if (!page.data.length) return h("p", { class: "muted empty" }, "No datasets yet: upload one above.");
      return table(
        ["name", "rows", "features", "target", "created", ""],
        page.data.map((dataset) =>
          h(
            "tr",
            { dataset: { dataset: dataset.id } },
            h("td", { class: "name" }, h("a", { href: `#/datasets/${encodeURIComponent(dataset.id)}` }, datasetTitle(dataset)), h("small", { class: "muted" }, ` ${shortId(dataset.id)}`)),
            h("td", { class: "num" }, num(dataset.n_samples)),
            h("td", { class: "num" }, num(dataset.n_features)),
            h("td", {}, dataset.n_targets > 1 ? `${dataset.n_targets} targets${dataset.target_kind === "categorical" ? " (0/1)" : ""}` : dataset.target_kind === "categorical" ? `${dataset.classes?.length ?? "?"} classes` : "continuous"),
            h("td", {}, time(dataset.created_at)),
            h("td", {}, h("a", { href: `#/datasets/${encodeURIComponent(dataset.id)}` }, "preview · train")),
          ),
        ),
        { class: "list", id: "datasets-table" },
      );
    },
    context.signal,
  );
}

function previewBlock(preview) {
  const head = [...preview.feature_names, preview.target_name || "target"];
  const more = preview.n_features > preview.columns_shown ? h("p", { class: "muted small" }, `The first ${preview.columns_shown} of ${preview.n_features} features.`) : null;
  const max = Math.max(1, ...(preview.class_counts || []).map((c) => c.count));
  return h(
    "div",
    { id: "preview" },
    h("h2", {}, `First ${preview.rows.length} rows`),
    more,
    h(
      "div",
      { class: "scroll" },
      table(
        head,
        preview.rows.map((row, i) => h("tr", {}, row.map((value) => h("td", { class: "num" }, num(value))), h("td", { class: "target" }, String(preview.targets[i])))),
        { class: "list compact", id: "preview-rows" },
      ),
    ),
    h("h2", {}, "Columns"),
    h(
      "div",
      { class: "scroll" },
      table(
        ["column", "min", "max", "mean", "std"],
        [...preview.columns, ...(preview.target || [])].map((column) =>
          h("tr", {}, h("th", {}, column.name), [column.min, column.max, column.mean, column.std].map((value) => h("td", { class: "num" }, num(value)))),
        ),
        { class: "list compact", id: "preview-columns" },
      ),
    ),
    preview.class_counts
      ? [
          h("h2", {}, "Classes"),
          table(
            ["class", "rows", ""],
            preview.class_counts.map((c) =>
              h("tr", {}, h("th", {}, String(c.label)), h("td", { class: "num" }, num(c.count)), h("td", {}, h("meter", { min: 0, max, value: c.count }))),
            ),
            { class: "list compact", id: "preview-classes" },
          ),
        ]
      : null,
  );
}

const ACTIVATIONS = ["relu", "tanh", "logistic", "identity", "leaky_relu", "elu", "gelu"];
const SOLVERS = ["adam", "sgd", "lbfgs", "rmsprop", "adagrad", "adamw"];

function field(label, input) {
  return h("label", {}, label, " ", input);
}

function trainForm(dataset, { notify, navigate }) {
  const task = h("select", { name: "task" }, h("option", { value: "" }, "auto"), h("option", { value: "classification" }, "classification"), h("option", { value: "regression" }, "regression"));
  const layers = h("input", { name: "hidden_layer_sizes", id: "train-layers", value: "64", pattern: "\\s*\\d+(\\s*,\\s*\\d+)*\\s*", title: "comma-separated layer widths, e.g. 64,32", required: true });
  const maxIter = h("input", { name: "max_iter", id: "train-max-iter", type: "number", min: 1, value: "200", required: true });
  const activation = h("select", { name: "activation" }, ACTIVATIONS.map((a) => h("option", { value: a }, a)));
  const solver = h("select", { name: "solver" }, SOLVERS.map((s) => h("option", { value: s }, s)));
  const rate = h("input", { name: "learning_rate_init", type: "number", step: "any", min: 0, value: "0.001" });
  const early = h("input", { name: "early_stopping", id: "train-early-stopping", type: "checkbox" });
  const seed = h("input", { name: "random_state", type: "number", step: 1, value: "0" });
  const name = h("input", { name: "name", id: "train-name", placeholder: "optional", maxlength: 200 });
  const tags = h("input", { name: "tags", id: "train-tags", placeholder: "optional, comma-separated" });
  const extra = h("textarea", { name: "extra", id: "train-extra", rows: 2, spellcheck: false, placeholder: '{"alpha": 0.001, "n_iter_no_change": 20}' });
  const submit = h("button", { type: "submit", id: "train-submit" }, "Train");

  async function train() {
    const params = {
      hidden_layer_sizes: layers.value.split(",").map((s) => Number(s.trim())),
      max_iter: Number(maxIter.value),
      activation: activation.value,
      solver: solver.value,
      early_stopping: early.checked,
    };
    if (rate.value !== "" && solver.value !== "lbfgs") params.learning_rate_init = Number(rate.value);
    if (seed.value !== "") params.random_state = Number(seed.value);
    if (extra.value.trim()) {
      let more;
      try {
        more = JSON.parse(extra.value);
      } catch (error) {
        throw new Error(`"More parameters" is not JSON (${error.message})`);
      }
      if (!more || typeof more !== "object" || Array.isArray(more)) {
        throw new Error('"More parameters" must be a JSON object, e.g. {"alpha": 0.001}');
      }
      Object.assign(params, more);
    }
    const body = { dataset_id: dataset.id, params };
    if (task.value) body.task = task.value;
    if (name.value.trim()) body.name = name.value.trim();
    const tagList = tags.value.split(",").map((t) => t.trim()).filter(Boolean);
    if (tagList.length) body.tags = tagList;
    const job = await api("/v1/jobs", { method: "POST", json: body });
    navigate(`#/jobs/${encodeURIComponent(job.id)}`);
  }

  return h(
    "form",
    { class: "card train", id: "train-form", on: { submit: onSubmit(submit, "Training refused", train, notify) } },
    h("h2", {}, "Train on this dataset"),
    h(
      "div",
      { class: "grid" },
      field("hidden_layer_sizes", layers),
      field("max_iter", maxIter),
      field("activation", activation),
      field("solver", solver),
      field("learning_rate_init", rate),
      field("random_state", seed),
      field("task", task),
      h("label", { class: "check" }, early, " early_stopping (holds out a validation split: validation curves)"),
      field("name", name),
      field("tags", tags),
    ),
    h("label", { class: "wide" }, "More parameters (JSON, scikit-learn's names) ", extra),
    h("div", { class: "actions" }, submit),
  );
}

export function datasetView(root, id, context) {
  const { signal } = context;
  const path = `/v1/datasets/${encodeURIComponent(id)}`;
  const head = h("div", { class: "view-head" }, h("h1", {}, shortId(id)));
  const info = h("section", { class: "summary" });
  const preview = h("section", {}, h("p", { class: "muted" }, "Loading the preview…"));
  const jobs = h("section");

  (async () => {
    let dataset;
    await fill(root, async () => {
      dataset = await api(path, { signal });
      return [head, info, preview, jobs];
    }, signal);
    if (!dataset) return;
    replace(head, h("h1", { id: "dataset-title" }, datasetTitle(dataset)), h("div", { class: "actions" }, deleteButton(`dataset ${datasetTitle(dataset)}`, path, "#/datasets", context)));
    replace(
      info,
      facts([
        ["id", h("code", {}, dataset.id)],
        ["rows", num(dataset.n_samples)],
        ["features", num(dataset.n_features)],
        ["target", dataset.target_name ?? "—"],
        ["target kind", dataset.target_kind],
        ["classes", dataset.classes ? h("span", { class: "tags" }, dataset.classes.slice(0, 50).map((c) => h("span", { class: "tag" }, String(c)))) : undefined],
        ["size", dataset.size_bytes ? `${num(dataset.size_bytes / 1024 / 1024, 3)} MiB` : undefined],
        ["sha256", h("code", { class: "small" }, dataset.sha256)],
        ["created", time(dataset.created_at)],
      ]),
      trainForm(dataset, context),
    );
    await fill(preview, async () => previewBlock(await api(`${path}/preview`, { signal })), signal);
    await fill(
      jobs,
      async () => {
        const page = await api(`/v1/jobs${query({ dataset_id: dataset.id, limit: 20 })}`, { signal });
        return [h("h2", {}, "Jobs on this dataset"), page.data.length ? jobsTable(page.data) : h("p", { class: "muted" }, "None yet.")];
      },
      signal,
    );
  })();
}
