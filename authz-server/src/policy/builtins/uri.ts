// uri.parse and uri.is_valid (topdown/uri.go): Go's url.Parse, then the non-empty components of
// the result. `raw_path` is the path as written (Go's RawPath, or the path itself when the two
// agree) so that policies can see encoded slashes; `raw_query` feeds urlquery.decode_object.
// is_valid is false for "" (a valid relative reference OPA refuses on purpose) and for what
// url.Parse refuses.
import type { RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { GoUrlError, parseGoUrl, splitHostPort } from "./go-url.ts";
import { fail, str } from "./operands.ts";

function parse(text: string): RegoValue {
  let url: ReturnType<typeof parseGoUrl>;
  try {
    url = parseGoUrl(text);
  } catch (err) {
    return fail(err instanceof GoUrlError ? `uri.parse: ${err.message}` : String(err));
  }
  const out = Object.create(null) as { [key: string]: RegoValue };
  const { hostname, port } = splitHostPort(url.host);
  if (url.scheme) out.scheme = url.scheme;
  if (hostname) out.hostname = hostname;
  if (port) out.port = port;
  if (url.path) {
    out.path = url.path;
    out.raw_path = url.rawPath || url.path;
  }
  if (url.rawQuery) out.raw_query = url.rawQuery;
  if (url.fragment) out.fragment = url.fragment;
  return out;
}

function isValid(value: RegoValue | undefined): boolean {
  if (typeof value !== "string" || value === "") return false;
  try {
    parseGoUrl(value);
    return true;
  } catch {
    return false;
  }
}

export const uriBuiltins: Record<string, Builtin> = {
  "uri.parse": ([text]) => parse(str(text, "uri.parse")),
  "uri.is_valid": ([text]) => isValid(text),
};
