/**
 * Glue: fills `RequestAttributes` from the request headers and the `source.address` property.
 *
 * Only what the config refers to is read (match conditions of rules and, with the concurrency
 * limit on, of priority classes; descriptors), one host call each: a config with one global rule
 * reads nothing. `AttributeNeeds` is computed once at configure time.
 */
import { getHeaderString, getPropertyString, MapType, PropertyPath } from "../sdk";
import { parseIp, stripPort } from "../lib/ip";
import { TrafficShaperConfig } from "./lib/config";
import { DescriptorKind } from "./lib/descriptor";
import { RequestMatch, StringMatchKind } from "./lib/request-match";
import { parseRiskScore, pathOnly, RequestAttributes } from "./lib/request";

const SOURCE_ADDRESS = new PropertyPath(["source", "address"]);

/** Which request attributes the config refers to. */
export class AttributeNeeds {
  method: bool = false;
  path: bool = false;
  authority: bool = false;
  subject: bool = false;
  riskLevel: bool = false;
  riskScore: bool = false;
  source: bool = false;
  headers: Array<string> = new Array<string>();

  constructor(c: TrafficShaperConfig) {
    for (let i = 0; i < c.rules.length; i++) {
      const r = c.rules[i];
      this.addMatch(r.match);
      const k = r.descriptor.kind;
      if (k == DescriptorKind.Subject) this.subject = true;
      else if (k == DescriptorKind.Source) this.source = true;
      else if (k == DescriptorKind.Authority) this.authority = true;
      else if (k == DescriptorKind.RiskLevel) this.riskLevel = true;
      else if (k == DescriptorKind.Header) this.addHeader(r.descriptor.header);
    }
    if (c.concurrency.enabled) for (let i = 0; i < c.priorities.length; i++) this.addMatch(c.priorities[i].match);
  }

  private addMatch(m: RequestMatch): void {
    if (m.methods.length > 0) this.method = true;
    if (m.path.kind != StringMatchKind.Any) this.path = true;
    if (m.authority.length > 0) this.authority = true;
    if (m.sourceCidrs.length > 0) this.source = true;
    if (m.subjects.length > 0) this.subject = true;
    if (m.riskLevels.length > 0) this.riskLevel = true;
    if (m.minRiskScore >= 0) this.riskScore = true;
    for (let i = 0; i < m.headers.length; i++) this.addHeader(m.headers[i].name);
  }

  private addHeader(name: string): void {
    if (!this.headers.includes(name)) this.headers.push(name);
  }
}

function header(name: string): string {
  const v = getHeaderString(MapType.RequestHeaders, name);
  return v === null ? "" : v;
}

/** Reads one request's attributes into `req` (call from on_request_headers); unneeded ones stay
 *  empty. `req` is reused request after request: the decision is made before the callback returns
 *  and nothing keeps a reference to it. */
export function readRequest(c: TrafficShaperConfig, needs: AttributeNeeds, req: RequestAttributes): RequestAttributes {
  req.reset();
  if (needs.method) req.method = header(":method");
  if (needs.path) req.path = pathOnly(header(":path"));
  if (needs.authority) req.authority = header(":authority").toLowerCase();
  if (needs.subject) req.subject = header(c.subjectHeader);
  if (needs.riskLevel) req.riskLevel = header(c.riskLevelHeader);
  if (needs.riskScore) {
    const score = getHeaderString(MapType.RequestHeaders, c.riskScoreHeader);
    req.riskScore = score === null ? -1 : parseRiskScore(score);
  }
  if (needs.source) {
    const source = getPropertyString(SOURCE_ADDRESS);
    if (source !== null) {
      req.sourceText = stripPort(source);
      req.sourceIp = parseIp(req.sourceText);
    }
  }
  const headers = needs.headers;
  for (let i = 0; i < headers.length; i++) {
    const v = getHeaderString(MapType.RequestHeaders, headers[i]);
    if (v !== null) req.addHeader(headers[i], v);
  }
  return req;
}
