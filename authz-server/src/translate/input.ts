// CheckRequest → policy input, in the shape opa-envoy-plugin gives its policies, so that Rego
// written for it runs unchanged: `attributes` (the CheckRequest attributes as protojson field names),
// `parsed_path`, `parsed_query`, `parsed_body`, `truncated_body`, `version`.
// Pure: no I/O, no clock.
import type { AttributeContext_Peer } from "../gen/envoy/service/auth/v3/attribute_context_pb.ts";
import type { CheckRequest } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";

export type PolicyInput = Record<string, unknown>;

export interface TranslateOptions {
  /** Skip parsing the request body into `parsed_body` (opa-envoy's `skip-request-body-parse`). */
  skipBodyParse?: boolean;
}

const VERSION = { encoding: "protojson", ext_authz: "v3" } as const;

/** `/a/b%20c/?x=1` → ["a", "b c", ""]: split on '/', each segment percent-decoded (as opa-envoy). */
export function parsePath(path: string): string[] {
  const end = path.search(/[?#]/);
  const raw = end === -1 ? path : path.slice(0, end);
  const trimmed = raw.startsWith("/") ? raw.slice(1) : raw;
  return trimmed.split("/").map(decodeSegment);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes stay as sent; the policy sees the raw text
  }
}

/** Query string → map of name → list of values, like Go's url.ParseQuery (used by opa-envoy). */
export function parseQuery(path: string): Record<string, string[]> {
  const start = path.indexOf("?");
  const result: Record<string, string[]> = {};
  if (start === -1) return result;
  const hash = path.indexOf("#", start);
  const query = path.slice(start + 1, hash === -1 ? undefined : hash);
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = decodeQueryComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? "" : decodeQueryComponent(part.slice(eq + 1));
    const list = result[name] ?? [];
    list.push(value);
    result[name] = list;
  }
  return result;
}

function decodeQueryComponent(text: string): string {
  return decodeSegment(text.replaceAll("+", " "));
}

function peer(p: AttributeContext_Peer | undefined): Record<string, unknown> | undefined {
  if (!p) return undefined;
  const out: Record<string, unknown> = {};
  const socket = p.address?.address.case === "socketAddress" ? p.address.address.value : undefined;
  if (socket) {
    const port = socket.portSpecifier.case === "portValue" ? { portValue: socket.portSpecifier.value } : {};
    out.address = { socketAddress: { address: socket.address, ...port } };
  }
  if (p.principal) out.principal = p.principal;
  if (p.service) out.service = p.service;
  if (Object.keys(p.labels).length > 0) out.labels = p.labels;
  if (p.certificate) out.certificate = p.certificate;
  return out;
}

export function toPolicyInput(request: CheckRequest, options: TranslateOptions = {}): PolicyInput {
  const attrs = request.attributes;
  const http = attrs?.request?.http;
  const path = http?.path ?? "";
  const httpOut: Record<string, unknown> = {
    id: http?.id ?? "",
    method: http?.method ?? "",
    headers: http?.headers ?? {},
    path,
    host: http?.host ?? "",
    scheme: http?.scheme ?? "",
    protocol: http?.protocol ?? "",
  };
  if (http?.query) httpOut.query = http.query;
  if (http?.fragment) httpOut.fragment = http.fragment;
  if (http && http.size !== 0n) httpOut.size = http.size.toString();
  if (http?.body) httpOut.body = http.body;
  if (http?.rawBody && http.rawBody.length > 0) httpOut.rawBody = Buffer.from(http.rawBody).toString("base64");
  const attributes: Record<string, unknown> = { request: { http: httpOut } };
  const source = peer(attrs?.source);
  const destination = peer(attrs?.destination);
  if (source) attributes.source = source;
  if (destination) attributes.destination = destination;
  if (attrs && Object.keys(attrs.contextExtensions).length > 0) attributes.contextExtensions = attrs.contextExtensions;
  const input: PolicyInput = {
    attributes,
    parsed_path: parsePath(path),
    parsed_query: parseQuery(path),
    parsed_body: null,
    truncated_body: false,
    version: VERSION,
  };
  if (!options.skipBodyParse && http) {
    const parsed = parseBody(http.headers, http.body, http.rawBody);
    input.parsed_body = parsed.body;
    input.truncated_body = parsed.truncated;
  }
  return input;
}

/** Parses a JSON body (opa-envoy parses JSON and urlencoded forms). A body Envoy marked partial
 *  (`x-envoy-auth-partial-body: true`) is reported as truncated and not parsed. */
export function parseBody(
  headers: Record<string, string>,
  body: string,
  rawBody: Uint8Array,
): { body: unknown; truncated: boolean } {
  const text = body !== "" ? body : rawBody.length > 0 ? Buffer.from(rawBody).toString("utf8") : "";
  if (text === "") return { body: null, truncated: false };
  if (headers["x-envoy-auth-partial-body"] === "true") return { body: null, truncated: true };
  const type = (headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "application/json") {
    try {
      return { body: JSON.parse(text), truncated: false };
    } catch {
      return { body: null, truncated: false };
    }
  }
  if (type === "application/x-www-form-urlencoded") return { body: parseQuery(`?${text}`), truncated: false };
  return { body: null, truncated: false };
}
