/**
 * Glue: fills `RequestAttributes` from the request headers and the `source.address` property.
 *
 * Only the headers the config refers to are read (match conditions of rules and priority classes,
 * `header:<name>` descriptors), one host call each; the pseudo-headers, the identity/risk headers
 * and the source address are read once per request. Nothing is read when no rule or class needs
 * it (`needsRequest`).
 */
import { getHeaderString, getPropertyString, MapType, PropertyPath } from "../sdk";
import { parseIp, stripPort } from "../lib/ip";
import { TrafficShaperConfig } from "./lib/config";
import { DescriptorKind } from "./lib/descriptor";
import { RequestMatch } from "./lib/request-match";
import { parseRiskScore, pathOnly, RequestAttributes } from "./lib/request";

const SOURCE_ADDRESS = new PropertyPath(["source", "address"]);

/** The header names the config reads, each once (lowercase). */
export function referencedHeaders(c: TrafficShaperConfig): Array<string> {
  const names = new Array<string>();
  for (let i = 0; i < c.rules.length; i++) {
    const r = c.rules[i];
    addMatchHeaders(r.match, names);
    if (r.descriptor.kind == DescriptorKind.Header) addOnce(names, r.descriptor.header);
  }
  for (let i = 0; i < c.priorities.length; i++) addMatchHeaders(c.priorities[i].match, names);
  return names;
}

function addMatchHeaders(m: RequestMatch, names: Array<string>): void {
  for (let i = 0; i < m.headers.length; i++) addOnce(names, m.headers[i].name);
}

function addOnce(names: Array<string>, name: string): void {
  if (!names.includes(name)) names.push(name);
}

function header(name: string): string {
  const v = getHeaderString(MapType.RequestHeaders, name);
  return v === null ? "" : v;
}

/** Reads one request's attributes (call from on_request_headers). */
export function readRequest(c: TrafficShaperConfig, headers: Array<string>): RequestAttributes {
  const req = new RequestAttributes();
  req.method = header(":method");
  req.path = pathOnly(header(":path"));
  req.authority = header(":authority").toLowerCase();
  req.subject = header(c.subjectHeader);
  req.riskLevel = header(c.riskLevelHeader);
  const score = getHeaderString(MapType.RequestHeaders, c.riskScoreHeader);
  req.riskScore = score === null ? -1 : parseRiskScore(score);
  const source = getPropertyString(SOURCE_ADDRESS);
  if (source !== null) {
    req.sourceText = stripPort(source);
    req.sourceIp = parseIp(req.sourceText);
  }
  for (let i = 0; i < headers.length; i++) {
    const v = getHeaderString(MapType.RequestHeaders, headers[i]);
    if (v !== null) req.addHeader(headers[i], v);
  }
  return req;
}
