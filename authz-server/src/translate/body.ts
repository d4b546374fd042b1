// `parsed_body` and `truncated_body` as opa-envoy-plugin computes them (envoyauth/request.go):
// JSON, `application/x-www-form-urlencoded` and `multipart/form-data` are parsed; a body Envoy marked
// partial (`x-envoy-auth-partial-body: true`) or shorter than its `content-length` is truncated and
// not parsed; malformed JSON or form data is an error (opa-envoy fails the check; so do we, unless
// body parsing is switched off). Meshward adds a size cap: a body above `maxBytes` is not parsed and
// reported as truncated, so a policy that needs the body denies instead of seeing half of it. Pure.
import { parseQueryString, UrlParseError } from "./url-parse.ts";

export interface ParsedBody {
  body: unknown;
  truncated: boolean;
}

export class BodyParseError extends Error {}

const NOT_PARSED: ParsedBody = { body: null, truncated: false };
const TRUNCATED: ParsedBody = { body: null, truncated: true };

function declaredLongerThan(headers: Record<string, string>, byteLength: number): boolean {
  const declared = headers["content-length"];
  if (declared === undefined) return false;
  if (!/^[+-]?\d+$/.test(declared)) throw new BodyParseError(`content-length "${declared}" is not an integer`);
  const n = Number(declared);
  return n !== -1 && n > byteLength;
}

export function parseBody(
  headers: Record<string, string>,
  body: string,
  rawBody: Uint8Array,
  maxBytes = Number.POSITIVE_INFINITY,
): ParsedBody {
  if (headers["x-envoy-auth-partial-body"] === "true") return TRUNCATED;
  const contentType = headers["content-type"];
  if (contentType === undefined) return NOT_PARSED;
  const kind = contentType.includes("application/json")
    ? "json"
    : contentType.includes("application/x-www-form-urlencoded")
      ? "form"
      : contentType.includes("multipart/form-data")
        ? "multipart"
        : undefined;
  if (kind === undefined) return NOT_PARSED;
  const text = body !== "" ? body : rawBody.length > 0 ? Buffer.from(rawBody).toString("utf8") : "";
  if (text === "") return NOT_PARSED;
  const byteLength = body !== "" ? Buffer.byteLength(body) : rawBody.length;
  if (declaredLongerThan(headers, byteLength)) return TRUNCATED;
  if (byteLength > maxBytes) return TRUNCATED;
  try {
    if (kind === "json") return { body: JSON.parse(text), truncated: false };
    if (kind === "form") return { body: parseQueryString(text), truncated: false };
    return { body: parseMultipart(contentType, text), truncated: false };
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof UrlParseError || err instanceof BodyParseError) {
      throw new BodyParseError(`${kind} body: ${err.message}`);
    }
    throw err;
  }
}

/** multipart/form-data → field name → values (JSON parts parsed, others as text), like Go's
 *  multipart reader as used by opa-envoy. Parts without a form name are skipped. */
export function parseMultipart(contentType: string, text: string): Record<string, unknown[]> {
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const delimiter = boundary?.[1] ?? boundary?.[2];
  if (!delimiter) return {};
  const values: Record<string, unknown[]> = {};
  const sections = text.split(`--${delimiter}`);
  if (sections.length < 2) throw new BodyParseError("multipart body has no boundary line");
  for (const section of sections.slice(1)) {
    if (section.startsWith("--")) break; // closing delimiter
    const part = section.replace(/^\r?\n/, "");
    const split = part.search(/\r?\n\r?\n/);
    if (split === -1) throw new BodyParseError("multipart part without a header block");
    const headerBlock = part.slice(0, split);
    const content = part
      .slice(split)
      .replace(/^\r?\n\r?\n/, "")
      .replace(/\r?\n$/, "");
    const disposition = /^content-disposition:(.*)$/im.exec(headerBlock)?.[1] ?? "";
    if (!/^\s*form-data/i.test(disposition)) continue;
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? /;\s*name=([^;\s]+)/i.exec(disposition)?.[1];
    if (!name) continue;
    const partType = /^content-type:(.*)$/im.exec(headerBlock)?.[1] ?? "";
    const list = values[name] ?? [];
    list.push(partType.includes("application/json") ? JSON.parse(content) : content);
    values[name] = list;
  }
  return values;
}
