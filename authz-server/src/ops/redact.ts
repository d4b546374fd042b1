// The one place that decides what of a request may be written to logs. Every decision log entry
// passes through the function `createRedactor` returns; nothing else logs request data. Redacted: credential headers
// (authorization, cookies, API keys, anything named like a token or secret), the raw body and any
// parsed-body or query field named like a credential, credential query parameters inside paths,
// and operator-configured dotted paths (`parsed_body.ssn`, `attributes.request.http.headers.x-pii`).
//
// Copy on write (structural sharing): the result is a new object only along the paths to values it
// replaces; every subtree without anything to redact is the input's own object. A typical request
// (no credential anywhere) therefore costs a read-only walk and no allocation, where a deep clone
// of the ~800-byte input cost more than serialising it (bench/decision-log.ts). Two consequences:
// the input the policy saw is never modified, and the result must be treated as read-only (it is
// serialised at once by the decision log). Pure.

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

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === "object";

/** `value` with `key` replaced, as a new object (or array) of the same kind; `value` is untouched. */
function withKey(value: Json, key: string, replacement: unknown): Json {
  const copy: Json = Array.isArray(value) ? (value.slice() as unknown as Json) : { ...value };
  copy[key] = replacement;
  return copy;
}

/** The same string when no credential-named parameter carries a value (the common case). */
function redactQueryString(path: string): string {
  const q = path.indexOf("?");
  if (q === -1) return path;
  const pairs = path.slice(q + 1).split("&");
  let changed = false;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i] as string;
    const eq = pair.indexOf("=");
    if (eq !== -1 && SENSITIVE_NAME.test(pair.slice(0, eq))) {
      pairs[i] = `${pair.slice(0, eq)}=${REDACTED}`;
      changed = true;
    }
  }
  return changed ? `${path.slice(0, q + 1)}${pairs.join("&")}` : path;
}

/** Credential-named fields at any depth replaced; `value` itself when there are none. */
function redactFields(value: unknown): unknown {
  if (!isObject(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = redactFields(value[i]);
      if (item !== value[i]) {
        out ??= value.slice();
        out[i] = item;
      }
    }
    return out ?? value;
  }
  let out: Json | undefined;
  for (const key of Object.keys(value)) {
    const v = value[key];
    const r = SENSITIVE_NAME.test(key) ? REDACTED : redactFields(v);
    if (r !== v) {
      out ??= { ...value };
      out[key] = r;
    }
  }
  return out ?? value;
}

function redactHeaders(headers: Json, extra: ReadonlySet<string>): Json {
  let out: Json | undefined;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    const lower = name.toLowerCase();
    let r = value;
    if (SENSITIVE_HEADERS.has(lower) || extra.has(lower) || SENSITIVE_NAME.test(lower)) r = REDACTED;
    else if (lower === ":path" && typeof value === "string") r = redactQueryString(value);
    if (r !== value) {
      out ??= { ...headers };
      out[name] = r;
    }
  }
  return out ?? headers;
}

/** `node` with the value at `keys` replaced by `value`, copying only the objects on that path;
 *  `node` itself when the path does not exist (a missing path is not an error: inputs differ by
 *  route) or already holds `value`. */
function replacePath(node: unknown, keys: readonly string[], value: unknown, from = 0): unknown {
  if (!isObject(node)) return node;
  const key = keys[from] as string;
  if (!(key in node)) return node;
  const child = node[key];
  const replacement = from === keys.length - 1 ? value : replacePath(child, keys, value, from + 1);
  return replacement === child ? node : withKey(node, key, replacement);
}

/** The request's `attributes.request.http` with credentials and bodies redacted; `http` itself
 *  when there is nothing to hide. (No per-call closures in this module: under tsx every arrow
 *  function created per call costs a name-keeping defineProperty, visible in a CPU profile.) */
function redactHttp(http: Json, extra: ReadonlySet<string>): Json {
  const headers = isObject(http.headers) ? redactHeaders(http.headers, extra) : http.headers;
  const path = typeof http.path === "string" ? redactQueryString(http.path) : http.path;
  const query = typeof http.query === "string" ? redactQueryString(`?${http.query}`).slice(1) : http.query;
  const body = http.body === undefined ? undefined : REDACTED;
  const rawBody = http.rawBody === undefined ? undefined : REDACTED;
  if (
    headers === http.headers &&
    path === http.path &&
    query === http.query &&
    body === http.body &&
    rawBody === http.rawBody
  )
    return http;
  const out: Json = { ...http };
  if (headers !== http.headers) out.headers = headers;
  if (path !== http.path) out.path = path;
  if (query !== http.query) out.query = query;
  if (body !== http.body) out.body = body;
  if (rawBody !== http.rawBody) out.rawBody = rawBody;
  return out;
}

export function createRedactor(options: RedactOptions = {}): (input: unknown) => unknown {
  const extra = new Set((options.headers ?? []).map((h) => h.toLowerCase()));
  const paths = (options.paths ?? []).map((path) => path.split("."));
  const httpPath = ["attributes", "request", "http"];
  return (input) => {
    if (!isObject(input)) return input;
    let out: unknown = input;
    const http = (input.attributes as { request?: { http?: unknown } } | undefined)?.request?.http;
    if (isObject(http)) {
      const redacted = redactHttp(http, extra);
      if (redacted !== http) out = replacePath(out, httpPath, redacted);
    }
    for (const key of ["parsed_body", "parsed_query"]) {
      const value = input[key];
      if (value !== undefined) {
        const redacted = redactFields(value);
        if (redacted !== value) out = replacePath(out, [key], redacted);
      }
    }
    const claims = (input.meshward as { identity?: { claims?: unknown } } | undefined)?.identity?.claims;
    if (claims) {
      const redacted = redactFields(claims);
      if (redacted !== claims) out = replacePath(out, ["meshward", "identity", "claims"], redacted);
    }
    for (const keys of paths) out = replacePath(out, keys, REDACTED);
    return out;
  };
}
