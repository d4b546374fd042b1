// Path and query parsing with Go's net/url semantics, because opa-envoy-plugin builds
// `parsed_path` with `url.PathUnescape` and `parsed_query` / form bodies with `url.ParseQuery`:
// a malformed escape (`%zz`, a lone `%`) or a `;` separator is an error there, so it is here
// (the check is then denied as unparseable). Pure.

export class UrlParseError extends Error {}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Go's url.unescape: `%XX` → byte, `+` → space in query mode; bytes decoded as UTF-8 (invalid
 *  sequences become U+FFFD, where Go would keep the raw bytes). */
export function goUnescape(text: string, mode: "path" | "query"): string {
  if (!text.includes("%") && (mode === "path" || !text.includes("+"))) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 37 /* % */) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) throw new UrlParseError(`invalid URL escape "${text.slice(i, i + 3)}"`);
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c === 43 /* + */ && mode === "query") {
      bytes.push(32);
    } else if (c < 128) {
      bytes.push(c);
    } else {
      const end = c >= 0xd800 && c <= 0xdbff ? i + 2 : i + 1;
      for (const b of Buffer.from(text.slice(i, end), "utf8")) bytes.push(b);
      i = end - 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** `parsed_path`: the path before `?`, percent-decoded as a whole, leading slashes trimmed, split
 *  on `/`. So `/a/b%2Fc` → ["a", "b", "c"] and `/` → [""], exactly as opa-envoy. */
export function parsePath(path: string): string[] {
  const q = path.indexOf("?");
  const raw = q === -1 ? path : path.slice(0, q);
  return goUnescape(raw, "path").replace(/^\/+/, "").split("/");
}

/** Go's url.ParseQuery refuses more parameters than this (net/url defaultMaxParams, since Go 1.24). */
const MAX_QUERY_PARAMS = 10_000;

function countOf(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n++;
  return n;
}

/** Go's url.ParseQuery: name → values in order; empty pairs skipped; the first error is thrown
 *  after the whole string was read (Go returns it alongside the partial map; opa-envoy fails).
 *  Collected in a Map (any name is safe there, `__proto__` included) and returned as a plain
 *  object built with define semantics: a null-prototype accumulator was a dictionary-mode object
 *  that cost more per check than the rest of this module (CPU profile under gRPC load). */
export function parseQueryString(query: string): Record<string, string[]> {
  if (query.length >= MAX_QUERY_PARAMS && countOf(query, "&") + 1 > MAX_QUERY_PARAMS) {
    throw new UrlParseError("number of URL query parameters exceeded limit");
  }
  const result = new Map<string, string[]>();
  let firstError: UrlParseError | undefined;
  for (const pair of query.split("&")) {
    if (pair.includes(";")) {
      firstError ??= new UrlParseError("invalid semicolon separator in query");
      continue;
    }
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    try {
      const name = goUnescape(eq === -1 ? pair : pair.slice(0, eq), "query");
      const value = eq === -1 ? "" : goUnescape(pair.slice(eq + 1), "query");
      const list = result.get(name);
      if (list) list.push(value);
      else result.set(name, [value]);
    } catch (err) {
      firstError ??= err as UrlParseError;
    }
  }
  if (firstError) throw firstError;
  return Object.fromEntries(result);
}

/** `parsed_query` of a request path (`/p?a=1&a=2` → {a: ["1", "2"]}); {} without a query. */
export function parseQuery(path: string): Record<string, string[]> {
  const q = path.indexOf("?");
  return q === -1 ? {} : parseQueryString(path.slice(q + 1));
}
