// Building the page without ever parsing data as HTML.
//
// Everything shown comes from the API and much of it from users (dataset and job names,
// feature names, class labels, tags): it only ever becomes Text nodes and attribute values,
// never markup. There is no innerHTML anywhere in the dashboard.

const SAFE_URL = /^(#|\/(?!\/)|blob:)/;

/**
 * h("a", {href: "#/jobs", class: "x", on: {click: fn}}, "text", child, [more])
 * Strings become Text nodes; null, undefined and false are skipped; arrays are flattened.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name.startsWith("on")) {
      throw new Error(`event handler attributes are not allowed: ${name}`);
    } else if (name === "href" || name === "src") {
      const url = String(value);
      if (!SAFE_URL.test(url)) throw new Error(`refusing URL ${url}`);
      element.setAttribute(name, url);
    } else if (name in element && typeof value !== "string") {
      element[name] = value; // properties: checked, disabled, value, max, …
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

/** node's children replaced by these (null, undefined and false left out, unlike the DOM's). */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** A number as a person reads it: 4 significant digits, integers as they are. */
export function num(value, digits = 4) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}

export function percent(fraction) {
  return `${Math.round((fraction || 0) * 100)}%`;
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const seconds = (Date.now() - date.getTime()) / 1000;
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return date.toLocaleString();
}

export function shortId(id) {
  return id && id.length > 14 ? `${id.slice(0, 4)}…${id.slice(-8)}` : id;
}

/** A <time> with a relative label and the exact time in its title. */
export function time(iso) {
  return h("time", { datetime: iso || "", title: iso || "" }, when(iso));
}

export function statusBadge(status) {
  return h("span", { class: `status status-${status}` }, status);
}

export function progressBar(fraction, label) {
  return h(
    "span",
    { class: "progress" },
    h("progress", { max: 1, value: Math.max(0, Math.min(1, fraction || 0)) }),
    h("span", { class: "progress-label" }, label ?? percent(fraction)),
  );
}

/** A two-column table of name → value. */
export function facts(entries) {
  return h(
    "dl",
    { class: "facts" },
    entries
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => h("div", { class: "fact" }, h("dt", {}, name), h("dd", {}, value ?? "—"))),
  );
}

export function table(headers, rows, props = {}) {
  return h(
    "table",
    props,
    h("thead", {}, h("tr", {}, headers.map((header) => h("th", {}, header)))),
    h("tbody", {}, rows),
  );
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
