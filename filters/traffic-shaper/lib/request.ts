/**
 * What the traffic shaper knows about one request, filled by the glue from the request headers
 * and properties. The identity and risk fields come from the headers the Meshward authz server adds
 * on allow (`docs/headers.md`): `x-meshward-subject`, `x-meshward-risk-score` (0..100),
 * `x-meshward-risk-level` (`low|medium|high|critical`); the names are configurable
 * (`identityHeaders`). Absent identity → subject "" and riskScore −1.
 */
import { parseSmallDecimal } from "../../lib/decimal";

export class RequestAttributes {
  method: string = "";
  /** `:path` without the query string (see `pathOnly`). */
  path: string = "";
  /** `:authority`, lowercased once by the glue (DNS names are case-insensitive). */
  authority: string = "";
  /** Peer IP, 16-byte normalised (`cidr.parseIp`), or null when unknown. */
  sourceIp: Uint8Array | null = null;
  /** Peer IP as text, for per-source descriptors. */
  sourceText: string = "";
  subject: string = "";
  riskLevel: string = "";
  riskScore: i32 = -1;
  headerNames: Array<string> = new Array<string>();
  headerValues: Array<string> = new Array<string>();

  /** Back to a request with no attributes read (the glue reuses one object for every request). */
  reset(): void {
    this.method = "";
    this.path = "";
    this.authority = "";
    this.sourceIp = null;
    this.sourceText = "";
    this.subject = "";
    this.riskLevel = "";
    this.riskScore = -1;
    this.headerNames.length = 0;
    this.headerValues.length = 0;
  }

  /** First value of header `name` (lowercase), or null. */
  header(name: string): string | null {
    for (let i = 0; i < this.headerNames.length; i++) {
      if (this.headerNames[i] == name) return this.headerValues[i];
    }
    return null;
  }

  addHeader(name: string, value: string): void {
    this.headerNames.push(name);
    this.headerValues.push(value);
  }
}

/** `:path` up to the first '?' or '#': rules match the path, never the query. */
export function pathOnly(path: string): string {
  let end = path.length;
  const q = path.indexOf("?");
  if (q >= 0) end = q;
  const h = path.indexOf("#");
  if (h >= 0 && h < end) end = h;
  return path.substring(0, end);
}

/** Parses the risk-score header: an integer 0..100, else −1 (treated as unknown). */
export function parseRiskScore(text: string): i32 {
  const v = parseSmallDecimal(text.trim(), 3);
  return v <= 100 ? v : -1;
}
