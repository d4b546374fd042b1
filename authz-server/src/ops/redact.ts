// The one place that decides what of a request may be written to logs. Every decision log entry
// passes through the function `createRedactor` returns (and its result and error message through
// `redactValue` / `redactMessage`); nothing else logs request data. Redacted:
//   - bodies: the raw body always; `parsed_body` unless the request path matches one of the
//     operator's `bodyPaths` globs (opt in per path), and then still field by field as below;
//   - anything JWT-shaped (a compact JWS/JWE) in any string anywhere: path, query values, header
//     values, claims, body, the policy's result, error messages — whatever the name it hides under;
//   - headers, query parameters and body or claim fields whose name looks like a credential or
//     personal secret (`credentialName`): auth (not authority), token, secret, key, session,
//     cookie, signature, password, otp, pin, card, cvv, ssn, …;
//   - operator-configured dotted paths (`parsed_body.email`, `attributes.request.http.headers.x-pii`);
//   - quoted spans in error messages (a JSON parse error quotes the body it choked on).
// Subtrees nested deeper than MAX_DEPTH are replaced whole: what cannot be inspected is not logged.
//
// Copy on write (structural sharing): the result is a new object only along the paths to values it
// replaces; every subtree without anything to redact is the input's own object, so a typical request
// costs a read-only walk. The input the policy saw is never modified, and the result must be treated
// as read-only (it is serialised at once by the decision log). Pure.

export const REDACTED = "[REDACTED]";

/** A compact JWS (3 parts) or JWE (5 parts) whose header is base64url JSON (`{"` → `eyJ`). */
const JWT_SHAPE = /eyJ[\w-]{5,}(?:\.[\w-]*){2,4}/g;
/** Name fragments that mark a credential wherever they appear in a name. */
const CREDENTIAL_STEMS =
  /auth(?!ority)|token|secret|passw|passcode|session|cookie|signature|credential|bearer|jwt|assertion|refresh|private|apikey|api_key/i;
/** Whole words (split on punctuation and camelCase) that mark a credential or personal secret. */
const CREDENTIAL_WORDS = new Set([
  "key",
  "pin",
  "otp",
  "tan",
  "card",
  "pan",
  "cvv",
  "cvc",
  "ssn",
  "iban",
  "sig",
  "pwd",
  "pass",
  "access",
  "oidc",
  "saml",
]);
const MAX_DEPTH = 64;
/** Names seen per process are few, but a hostile client can send any: the memo is bounded. */
const MEMO_LIMIT = 4096;

export interface RedactOptions {
  /** Extra header names to redact (lower case), e.g. the configured JWT header. */
  headers?: readonly string[];
  /** Dotted paths into the input to replace with [REDACTED]. */
  paths?: readonly string[];
  /** Request path globs (`*` one segment, `**` any) whose parsed body is logged (field-redacted). */
  bodyPaths?: readonly string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === "object";

const memo = new Map<string, boolean>();

/** Whether a header, query parameter or field name looks like it holds a credential. */
export function credentialName(name: string): boolean {
  let known = memo.get(name);
  if (known !== undefined) return known;
  known =
    name === "code" ||
    CREDENTIAL_STEMS.test(name) ||
    name.split(/[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/).some((word) => CREDENTIAL_WORDS.has(word.toLowerCase()));
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(name, known);
  return known;
}

/** `text` with every JWT-shaped run replaced; `text` itself when there is none. */
export function maskTokens(text: string): string {
  return text.indexOf("eyJ") === -1 ? text : text.replace(JWT_SHAPE, REDACTED);
}

/** An error message as it may be logged: tokens masked, quoted spans of 8+ characters replaced. */
export function redactMessage(text: string): string {
  return maskTokens(text).replace(/"[^"]{8,}"/g, `"${REDACTED}"`);
}

/** `value` with `key` replaced, as a new object (or array) of the same kind; `value` is untouched. */
function withKey(value: Json, key: string, replacement: unknown): Json {
  const copy: Json = Array.isArray(value) ? (value.slice() as unknown as Json) : { ...value };
  copy[key] = replacement;
  return copy;
}

/**
 * `value` with credential-named fields replaced (when `byName`) and JWT-shaped strings masked, at
 * any depth; `value` itself when nothing changes.
 */
function redactTree(value: unknown, byName: boolean, depth = 0): unknown {
  if (typeof value === "string") return maskTokens(value);
  if (!isObject(value)) return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = redactTree(value[i], byName, depth + 1);
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
    const r = byName && credentialName(key) ? REDACTED : redactTree(v, byName, depth + 1);
    if (r !== v) {
      out ??= { ...value };
      out[key] = r;
    }
  }
  return out ?? value;
}

/** Any value (the policy's result) as it may be logged: credential names and tokens redacted. */
export function redactValue(value: unknown): unknown {
  return redactTree(value, true);
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
    if (eq !== -1 && credentialName(pair.slice(0, eq))) {
      pairs[i] = `${pair.slice(0, eq)}=${REDACTED}`;
      changed = true;
    }
  }
  return changed ? `${path.slice(0, q + 1)}${pairs.join("&")}` : path;
}

function redactHeaders(headers: Json, extra: ReadonlySet<string>): Json {
  let out: Json | undefined;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    const lower = name.toLowerCase();
    let r = value;
    if (extra.has(lower) || credentialName(lower)) r = REDACTED;
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
  if (!Object.hasOwn(node, key)) return node;
  const child = node[key];
  const replacement = from === keys.length - 1 ? value : replacePath(child, keys, value, from + 1);
  return replacement === child ? node : withKey(node, key, replacement);
}

/** The request's `attributes.request.http` with credential-named headers and query parameters and
 *  both bodies redacted; `http` itself when there is nothing to hide. (No per-call closures in
 *  this module: under tsx every arrow function created per call costs a name-keeping
 *  defineProperty, visible in a CPU profile.) */
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

/** `*` matches within a path segment, `**` across segments. */
function pathGlob(pattern: string): RegExp {
  const segments = pattern.split("**").map((part) =>
    part
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^/]*"),
  );
  return new RegExp(`^${segments.join(".*")}$`);
}

function requestPath(http: unknown): string {
  const path = isObject(http) && typeof http.path === "string" ? http.path : "";
  const q = path.indexOf("?");
  return q === -1 ? path : path.slice(0, q);
}

export function createRedactor(options: RedactOptions = {}): (input: unknown) => unknown {
  const extra = new Set((options.headers ?? []).map((h) => h.toLowerCase()));
  const paths = (options.paths ?? []).map((path) => path.split("."));
  const bodyPaths = (options.bodyPaths ?? []).map(pathGlob);
  const httpPath = ["attributes", "request", "http"];
  return (input) => {
    if (!isObject(input)) return input;
    let out: unknown = input;
    const http = (input.attributes as { request?: { http?: unknown } } | undefined)?.request?.http;
    if (isObject(http)) {
      const redacted = redactHttp(http, extra);
      if (redacted !== http) out = replacePath(out, httpPath, redacted);
    }
    const body = input.parsed_body;
    if (body !== undefined && body !== null) {
      const path = requestPath(http);
      const logged = bodyPaths.some((glob) => glob.test(path));
      out = replacePath(out, ["parsed_body"], logged ? redactTree(body, true) : REDACTED);
    }
    const query = input.parsed_query;
    if (query !== undefined) out = replacePath(out, ["parsed_query"], redactTree(query, true));
    const claims = (input.meshward as { identity?: { claims?: unknown } } | undefined)?.identity?.claims;
    if (claims) out = replacePath(out, ["meshward", "identity", "claims"], redactTree(claims, true));
    for (const keys of paths) out = replacePath(out, keys, REDACTED);
    // Tokens wherever they are, under whatever name (path segments, neutral query and header names).
    return redactTree(out, false);
  };
}
