// Calls to the API: the key from session storage on every /v1 call, problem+json errors.

const KEY_STORAGE = "mlpforge.apiKey";

export function apiKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

/** A 4xx or 5xx answer: `status`, and the problem's `detail` and `errors`. */
export class ApiError extends Error {
  constructor(status, problem, headers) {
    const detail = problem?.detail || problem?.title || `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.problem = problem || {};
    this.detail = detail;
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
    this.retryAfter = Number(headers?.get("Retry-After")) || 0;
  }

  /** The detail, and where each problem is, for a person. */
  describe() {
    const places = this.errors
      .map((error) => `${(error.loc || []).join(".")}: ${error.msg}`)
      .filter((text) => !this.detail.startsWith(text));
    return [this.detail, ...places].join("\n");
  }
}

/** A failure, for a person. */
export function describe(error) {
  return error instanceof ApiError ? error.describe() : String(error?.message ?? error);
}

/** Failures a view says nothing about: it was left (aborted), or the key prompt answers (401). */
export function unspoken(error, signal) {
  return Boolean(signal?.aborted) || error?.name === "AbortError" || (error instanceof ApiError && error.status === 401);
}

const unauthorizedListeners = new Set();

/** Called with the ApiError of every 401: the page asks for a key. */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { detail: `${response.status} ${response.statusText}`.trim() };
  }
}

/**
 * fetch(), with the key, JSON in and out.
 * options: method, json (a body to send as JSON), body, headers, signal,
 *          raw (return the Response itself, for streams and downloads).
 */
export async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = apiKey();
  if (key && path.startsWith("/v1/")) headers.set("Authorization", `Bearer ${key}`);
  let body = options.body;
  if (options.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(options.json);
  }
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body,
    signal: options.signal,
    cache: "no-store",
    credentials: "omit",
  });
  if (!response.ok) {
    const error = new ApiError(response.status, await problemOf(response), response.headers);
    if (response.status === 401) for (const listener of unauthorizedListeners) listener(error);
    throw error;
  }
  if (options.raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** The query string of the given parameters, leaving out empty ones. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

let exportFormats = null;

/** The export formats the server documents (GET /openapi.json), safetensors at least. */
export async function listExportFormats() {
  if (exportFormats) return exportFormats;
  try {
    const document = await (await fetch("/openapi.json", { cache: "no-store" })).json();
    const operation = document.paths?.["/v1/models/{model_id}/export"]?.get;
    const parameter = (operation?.parameters || []).find((p) => p.name === "format");
    const schema = parameter?.schema || {};
    const options = schema.enum || (schema.anyOf || []).flatMap((s) => s.enum || (s.const ? [s.const] : []));
    exportFormats = options.length ? options : schema.const ? [schema.const] : ["safetensors"];
  } catch {
    exportFormats = ["safetensors"];
  }
  return exportFormats;
}
