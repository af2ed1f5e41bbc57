// Line charts over uPlot (vendored: /static/vendor/uplot-1.6.32/, loaded before the modules).

import { h, num } from "./dom.js";

export const PALETTE = ["#2563eb", "#e8590c", "#2f9e44", "#9c36b5", "#c2255c", "#0c8599", "#f08c00", "#5c7cfa"];

/**
 * A chart of series over epochs. `series`: [{label, color?, dash?}].
 * Returns {element, setData(xs, ys[]), destroy()}; the element's data-points attribute counts
 * the points drawn (what the tests wait for).
 */
export function lineChart({ title, series, yLabel, height = 240, name }) {
  const plotArea = h("div", { class: "chart-plot" });
  const element = h(
    "figure",
    { class: "chart", dataset: { chart: name || "", points: "0" } },
    h("figcaption", {}, title),
    plotArea,
  );
  let plot = null;
  let data = [[], ...series.map(() => [])];

  const options = (width) => ({
    width,
    height,
    scales: { x: { time: false } },
    axes: [
      { label: "epoch", stroke: "#667085", grid: { stroke: "#eef0f3" } },
      { label: yLabel || "", stroke: "#667085", grid: { stroke: "#eef0f3" }, values: (u, ticks) => ticks.map((t) => num(t, 3)) },
    ],
    series: [
      { label: "epoch" },
      ...series.map((s, i) => ({
        label: s.label,
        stroke: s.color || PALETTE[i % PALETTE.length],
        width: 2,
        dash: s.dash,
        spanGaps: true,
        points: { show: false },
        value: (u, v) => num(v),
      })),
    ],
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
  });

  function width() {
    return Math.max(280, Math.floor(plotArea.getBoundingClientRect().width || element.getBoundingClientRect().width || 600));
  }

  function draw() {
    if (!globalThis.uPlot) return;
    if (!plot) {
      plot = new globalThis.uPlot(options(width()), data, plotArea);
    } else {
      plot.setData(data);
    }
    const points = data.slice(1).reduce((n, ys) => n + ys.filter((y) => y !== null && y !== undefined).length, 0);
    element.dataset.points = String(points);
  }

  let frame = 0;
  const resize = new ResizeObserver(() => {
    if (plot) plot.setSize({ width: width(), height });
  });
  resize.observe(plotArea);

  return {
    element,
    /** xs: epochs; ys: one array per series (null where a series has no value). */
    setData(xs, ys) {
      data = [xs, ...ys];
      if (!frame) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          draw();
        });
      }
    },
    drawNow() {
      draw();
    },
    destroy() {
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
      plot?.destroy();
    },
  };
}

/** Several runs' histories on one x axis (epochs): [xs, ys per run], null where a run has none. */
export function alignByEpoch(histories, field) {
  const epochs = [...new Set(histories.flatMap((history) => history.map((entry) => entry.epoch)))].sort((a, b) => a - b);
  const index = new Map(epochs.map((epoch, i) => [epoch, i]));
  const columns = histories.map((history) => {
    const column = new Array(epochs.length).fill(null);
    for (const entry of history) column[index.get(entry.epoch)] = entry[field] ?? null;
    return column;
  });
  return [epochs, columns];
}

/**
 * Points of (x, y) pairs, no lines: a search's objective against one parameter. Numeric x is
 * drawn on a log axis when it spans more than two decades (learning rates, alpha); other values
 * are placed at their rank, labelled with the value. Returns {element, show(points), destroy()}.
 */
export function scatterChart({ title, yLabel, height = 260, name }) {
  const plotArea = h("div", { class: "chart-plot" });
  const element = h("figure", { class: "chart", dataset: { chart: name || "", points: "0" } }, h("figcaption", {}, title), plotArea);
  let plot = null;

  function show(points, xLabel) {
    plot?.destroy();
    plot = null;
    const numeric = points.every((p) => typeof p.x === "number");
    const labels = numeric ? [] : [...new Set(points.map((p) => String(p.x)))].sort();
    const xOf = (p) => (numeric ? p.x : labels.indexOf(String(p.x)));
    const sorted = points.filter((p) => p.y !== null && p.y !== undefined).sort((a, b) => xOf(a) - xOf(b));
    const xs = sorted.map(xOf);
    const positive = numeric && xs.length && xs.every((x) => x > 0);
    const log = positive && Math.max(...xs) / Math.min(...xs) > 100;
    element.dataset.points = String(sorted.length);
    if (!globalThis.uPlot || !sorted.length) return;
    const width = Math.max(280, Math.floor(plotArea.getBoundingClientRect().width || 600));
    plot = new globalThis.uPlot(
      {
        width,
        height,
        scales: { x: { time: false, distr: log ? 3 : 1, ...(numeric ? {} : { range: [-0.5, labels.length - 0.5] }) } },
        axes: [
          {
            label: xLabel,
            stroke: "#667085",
            grid: { stroke: "#eef0f3" },
            ...(numeric ? { values: (u, ticks) => ticks.map((t) => num(t, 3)) } : { splits: () => labels.map((_, i) => i), values: () => labels }),
          },
          { label: yLabel || "", stroke: "#667085", grid: { stroke: "#eef0f3" }, values: (u, ticks) => ticks.map((t) => num(t, 3)) },
        ],
        series: [
          { label: xLabel },
          { label: yLabel || "y", stroke: PALETTE[0], paths: () => null, points: { show: true, size: 8, fill: PALETTE[0] }, value: (u, v) => num(v) },
        ],
        legend: { live: true },
      },
      [xs, sorted.map((p) => p.y)],
      plotArea,
    );
  }

  return { element, show, destroy: () => plot?.destroy() };
}
