// The one place that decides what of a request may be written to logs. Every decision log entry
// passes through `redactInput`; nothing else logs request data. Redacted: credential headers
// (authorization, cookies, API keys, anything named like a token or secret), the raw body and any
// parsed-body or query field named like a credential, credential query parameters inside paths,
// and operator-configured dotted paths (`parsed_body.ssn`, `attributes.request.http.headers.x-pii`).
// Returns a copy; the input the policy saw is untouched. Pure.

export const REDACTED = "[REDACTED]";

const SENSITIVE_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-auth-token",
]);
const SENSITIVE_NAME = /token|secret|passw|api[-_]?key|session|credential|jwt|assertion|^code$/i;

export interface RedactOptions {
  /** Extra header names to redact (lower case), e.g. the configured JWT header. */
  headers?: readonly string[];
  /** Dotted paths into the input to replace with [REDACTED]. */
  paths?: readonly string[];
}

function redactQueryString(path: string): string {
  const q = path.indexOf("?");
  if (q === -1) return path;
  const pairs = path
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && SENSITIVE_NAME.test(name) ? `${name}=${REDACTED}` : pair;
    });
  return `${path.slice(0, q + 1)}${pairs.join("&")}`;
}

function redactFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactFields);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SENSITIVE_NAME.test(k) ? REDACTED : redactFields(v);
  return out;
}

function redactHeaders(headers: Record<string, unknown>, extra: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (SENSITIVE_HEADERS.has(lower) || extra.has(lower) || SENSITIVE_NAME.test(lower)) out[name] = REDACTED;
    else if (lower === ":path" && typeof value === "string") out[name] = redactQueryString(value);
    else out[name] = value;
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string): void {
  const keys = path.split(".");
  let node: unknown = target;
  for (const key of keys.slice(0, -1)) {
    if (node === null || typeof node !== "object") return;
    node = (node as Record<string, unknown>)[key];
  }
  const last = keys[keys.length - 1] as string;
  if (node !== null && typeof node === "object" && last in (node as object)) {
    (node as Record<string, unknown>)[last] = REDACTED;
  }
}

export function createRedactor(options: RedactOptions = {}): (input: unknown) => unknown {
  const extra = new Set((options.headers ?? []).map((h) => h.toLowerCase()));
  const paths = options.paths ?? [];
  return (input) => {
    if (input === null || typeof input !== "object") return input;
    const copy = structuredClone(input) as Record<string, unknown>;
    const http = (copy.attributes as { request?: { http?: Record<string, unknown> } } | undefined)?.request?.http;
    if (http) {
      if (http.headers && typeof http.headers === "object") {
        http.headers = redactHeaders(http.headers as Record<string, unknown>, extra);
      }
      if (typeof http.path === "string") http.path = redactQueryString(http.path);
      if (typeof http.query === "string") http.query = redactQueryString(`?${http.query}`).slice(1);
      if (http.body !== undefined) http.body = REDACTED;
      if (http.rawBody !== undefined) http.rawBody = REDACTED;
    }
    if (copy.parsed_body !== undefined) copy.parsed_body = redactFields(copy.parsed_body);
    if (copy.parsed_query !== undefined) copy.parsed_query = redactFields(copy.parsed_query);
    const identity = (copy.meshward as { identity?: Record<string, unknown> } | undefined)?.identity;
    if (identity?.claims) identity.claims = redactFields(identity.claims);
    for (const path of paths) setPath(copy, path);
    return copy;
  };
}
