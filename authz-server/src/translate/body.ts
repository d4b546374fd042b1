// `parsed_body` and `truncated_body` as opa-envoy-plugin computes them (envoyauth/request.go), in
// its order: a body Envoy marked partial (`x-envoy-auth-partial-body: true`) is truncated; then by
// Content-Type (substring match, first hit wins): `application/json` (json-text.ts),
// `application/grpc` (not parsed: Meshward takes no protobuf descriptor), form-urlencoded (Go's
// url.ParseQuery), `multipart/form-data` (multipart.ts; no `boundary` parameter → null); anything
// else, or an empty body, is not parsed. A body shorter than its `content-length` is truncated
// and not parsed; a `content-length` that is not a Go int64 is an error, as is a malformed body
// (opa-envoy fails the check; so do we, unless body parsing is switched off). Meshward adds a size
// cap: a body above `maxBytes` is not parsed and reported as truncated, so a policy that needs the
// body denies instead of seeing half of it, and a depth cap on JSON (`maxDepth`, json-text.ts):
// a body nested deeper is a parse error. Pure.
import { MAX_JSON_DEPTH, parseJsonText } from "./json-text.ts";
import { MediaTypeError, parseMediaType } from "./media-type.ts";
import { MultipartError, parseMultipartForm } from "./multipart.ts";
import { QuotedPrintableError } from "./quoted-printable.ts";
import type { RawJsonSlot } from "./raw-json.ts";
import { parseQueryString, UrlParseError } from "./url-parse.ts";

export interface ParsedBody {
  body: unknown;
  truncated: boolean;
  /** `body` as JSON text with its numbers as written, when `body` may have rounded one. */
  exactText?: string;
  /** Values inside `body` that need the same (JSON multipart parts). */
  rawJson?: RawJsonSlot[];
}

export class BodyParseError extends Error {}

const NOT_PARSED: ParsedBody = { body: null, truncated: false };
const TRUNCATED: ParsedBody = { body: null, truncated: true };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(value, 10, 64): an optional sign and decimal digits, within int64. */
function parseGoInt64(value: string): bigint {
  if (!/^[+-]?\d+$/.test(value)) throw new BodyParseError(`content-length ${JSON.stringify(value)}: invalid syntax`);
  const n = BigInt(value);
  if (n < INT64_MIN || n > INT64_MAX) throw new BodyParseError(`content-length ${JSON.stringify(value)}: out of range`);
  return n;
}

function declaredLongerThan(headers: Record<string, string>, byteLength: number): boolean {
  const declared = headers["content-length"];
  if (declared === undefined) return false;
  const n = parseGoInt64(declared);
  return n !== -1n && n > BigInt(byteLength);
}

type Kind = "json" | "grpc" | "form" | "multipart";

function kindOf(contentType: string): Kind | undefined {
  if (contentType.includes("application/json")) return "json";
  if (contentType.includes("application/grpc")) return "grpc";
  if (contentType.includes("application/x-www-form-urlencoded")) return "form";
  if (contentType.includes("multipart/form-data")) return "multipart";
  return undefined;
}

function parseAs(
  kind: Exclude<Kind, "grpc">,
  contentType: string,
  bytes: () => Buffer,
  text: string,
  maxDepth: number,
): ParsedBody {
  if (kind === "json") {
    const parsed = parseJsonText(text, maxDepth);
    return parsed.exactText === undefined
      ? { body: parsed.value, truncated: false }
      : { body: parsed.value, truncated: false, exactText: parsed.exactText };
  }
  if (kind === "form") return { body: parseQueryString(text), truncated: false };
  const boundary = parseMediaType(contentType).params.get("boundary");
  if (boundary === undefined) return NOT_PARSED;
  const form = parseMultipartForm(bytes(), boundary, maxDepth);
  return form.rawJson.length > 0
    ? { body: form.values, truncated: false, rawJson: form.rawJson }
    : { body: form.values, truncated: false };
}

export function parseBody(
  headers: Record<string, string>,
  body: string,
  rawBody: Uint8Array,
  maxBytes = Number.POSITIVE_INFINITY,
  maxDepth = MAX_JSON_DEPTH,
): ParsedBody {
  if (headers["x-envoy-auth-partial-body"] === "true") return TRUNCATED;
  const contentType = headers["content-type"];
  if (contentType === undefined) return NOT_PARSED;
  const kind = kindOf(contentType);
  if (kind === undefined || kind === "grpc") return NOT_PARSED;
  if (body === "" && rawBody.length === 0) return NOT_PARSED;
  const byteLength = body !== "" ? Buffer.byteLength(body) : rawBody.length;
  try {
    if (declaredLongerThan(headers, byteLength)) return TRUNCATED;
    if (byteLength > maxBytes) return TRUNCATED;
    const raw = () => (body !== "" ? Buffer.from(body, "utf8") : Buffer.from(rawBody));
    const text = kind === "multipart" ? "" : body !== "" ? body : Buffer.from(rawBody).toString("utf8");
    return parseAs(kind, contentType, raw, text, maxDepth);
  } catch (err) {
    if (
      err instanceof SyntaxError ||
      err instanceof UrlParseError ||
      err instanceof BodyParseError ||
      err instanceof MediaTypeError ||
      err instanceof MultipartError ||
      err instanceof QuotedPrintableError
    ) {
      throw new BodyParseError(`${kind} body: ${err.message}`);
    }
    throw err;
  }
}
