/**
 * The `match` object of rules and priority classes: strict reading (`readMatch`) and the
 * canonical JSON for the config round trip (`matchJson`). See the match table in
 * `filters/traffic-shaper/README.md`.
 */
import { ObjectReader, indexPath, isLowerToken } from "../../lib/config-reader";
import { quoteJson } from "../../lib/json";
import { parseCidr } from "./cidr";
import { HeaderMatch, RequestMatch, StringMatch, StringMatchKind } from "./request-match";

const RISK_LEVELS: Array<string> = ["low", "medium", "high", "critical"];

/** Reads a `match` object (shared by rules and priority classes). */
export function readMatch(r: ObjectReader): RequestMatch {
  const m = new RequestMatch();
  m.methods = r.stringArray("methods", 16, 32);
  const path = r.object("path");
  if (path !== null) m.path = readStringMatch(path, false);
  m.authority = r.string("authority", "", 256, true).toLowerCase();
  const headers = r.array("headers", 16);
  if (headers !== null) {
    for (let i = 0; i < headers.length; i++) {
      const hr = ObjectReader.of(headers[i], indexPath(r.fieldPath("headers"), i), r.errors);
      if (hr === null) continue;
      if (!hr.has("name")) r.errors.add(hr.fieldPath("name"), "required");
      const name = hr.string("name", "", 128, false);
      if (name.length > 0 && !isLowerToken(name))
        r.errors.add(hr.fieldPath("name"), "must be a lowercase HTTP header name");
      const sm = readStringMatch(hr, true);
      m.headers.push(new HeaderMatch(name, sm));
    }
  }
  const cidrs = r.stringArray("sourceCidrs", 64, 64);
  for (let i = 0; i < cidrs.length; i++) {
    const cidr = parseCidr(cidrs[i]);
    if (cidr === null) r.errors.add(indexPath(r.fieldPath("sourceCidrs"), i), 'invalid CIDR "' + cidrs[i] + '"');
    else {
      m.sourceCidrs.push(cidr);
      m.sourceCidrTexts.push(cidrs[i]);
    }
  }
  m.subjects = r.stringArray("subjects", 64, 512);
  const levels = r.stringArray("riskLevels", 4, 16);
  for (let i = 0; i < levels.length; i++) {
    if (!RISK_LEVELS.includes(levels[i]))
      r.errors.add(indexPath(r.fieldPath("riskLevels"), i), "must be one of low|medium|high|critical");
  }
  m.riskLevels = levels;
  m.minRiskScore = <i32>r.integer("minRiskScore", -1, 0, 100);
  r.finish();
  return m;
}

/**
 * Exactly one of exact / prefix / glob (and, for headers, present: true). For headers (`isHeader`), the
 * caller has already read `name`, and `present: true` is accepted too.
 */
function readStringMatch(r: ObjectReader, isHeader: bool): StringMatch {
  let result = new StringMatch(StringMatchKind.Any, "");
  let found = 0;
  const kinds: Array<string> = ["exact", "prefix", "glob"];
  for (let k = 0; k < kinds.length; k++) {
    if (!r.has(kinds[k])) {
      r.raw(kinds[k]);
      continue;
    }
    found++;
    const v = r.string(kinds[k], "", 1024, k == 0);
    result = new StringMatch(<StringMatchKind>(k + 1), v);
  }
  if (isHeader) {
    if (r.has("present")) {
      found++;
      if (!r.bool("present", true)) r.errors.add(r.fieldPath("present"), "only true is supported");
      result = new StringMatch(StringMatchKind.Present, "");
    } else r.raw("present");
  }
  if (found != 1) r.errors.add(r.path, "needs exactly one of exact|prefix|glob" + (isHeader ? "|present" : ""));
  r.finish();
  return result;
}

export function matchJson(m: RequestMatch): string {
  const parts = new Array<string>();
  if (m.methods.length > 0) parts.push('"methods":' + stringsJson(m.methods));
  if (m.path.kind != StringMatchKind.Any)
    parts.push('"path":{"' + m.path.kindName() + '":' + quoteJson(m.path.value) + "}");
  if (m.authority.length > 0) parts.push('"authority":' + quoteJson(m.authority));
  if (m.headers.length > 0) {
    const hs = new Array<string>();
    for (let i = 0; i < m.headers.length; i++) {
      const h = m.headers[i];
      const v = h.match.kind == StringMatchKind.Present ? "true" : quoteJson(h.match.value);
      hs.push('{"name":' + quoteJson(h.name) + ',"' + h.match.kindName() + '":' + v + "}");
    }
    parts.push('"headers":[' + hs.join(",") + "]");
  }
  if (m.sourceCidrTexts.length > 0) parts.push('"sourceCidrs":' + stringsJson(m.sourceCidrTexts));
  if (m.subjects.length > 0) parts.push('"subjects":' + stringsJson(m.subjects));
  if (m.riskLevels.length > 0) parts.push('"riskLevels":' + stringsJson(m.riskLevels));
  if (m.minRiskScore >= 0) parts.push('"minRiskScore":' + m.minRiskScore.toString());
  return "{" + parts.join(",") + "}";
}

function stringsJson(list: Array<string>): string {
  const q = new Array<string>();
  for (let i = 0; i < list.length; i++) q.push(quoteJson(list[i]));
  return "[" + q.join(",") + "]";
}
