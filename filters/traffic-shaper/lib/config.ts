/**
 * The traffic-shaper `pluginConfig` schema: strict parser over the shared building blocks
 * (`filters/lib/config-reader.ts`), named defaults, cross-field checks, and `toJson` for the round
 * trip. Field table: `filters/traffic-shaper/README.md`.
 */
import {
  ConfigResult,
  readConfig,
  ConfigErrors,
  ObjectReader,
  childPath,
  fmt,
  indexPath,
  isLowerToken,
} from "../../lib/config-reader";
import { JsonValue, quoteJson } from "../../lib/json";
import { msToNs } from "../../lib/time";
import { GradientPolicy } from "./concurrency-limiter";
import { parseDescriptor } from "./descriptor";
import { PriorityClass } from "./priority";
import { matchJson, readMatch } from "./match-config";
import { RequestMatch } from "./request-match";
import { RateLimitRule } from "./rules";

const UNITS: Array<string> = ["second", "minute", "hour"];
const DAY_MS: i64 = 86_400_000;

export class ConcurrencyConfig {
  enabled: bool = false;
  minLimit: i32 = 4;
  maxLimit: i32 = 1000;
  initialLimit: i32 = 50;
  sampleWindowMs: i64 = 250;
  minSamplesPerWindow: i32 = 10;
  percentile: f64 = 0.9;
  minRttIntervalMs: i64 = 30_000;
  minRttJitter: f64 = 0.15;
  minRttSamples: i32 = 25;
  minRttConcurrency: i32 = 3;
  buffer: f64 = 0.25;
  smoothing: f64 = 0.2;
  rejectStatus: i32 = 503;
  reasonHeader: string = "x-meshward-shed-reason";

  /** The controller's parameters in algorithm units (ns). */
  toGradientPolicy(): GradientPolicy {
    const p = new GradientPolicy();
    p.minLimit = <f64>this.minLimit;
    p.maxLimit = <f64>this.maxLimit;
    p.initialLimit = <f64>this.initialLimit;
    p.sampleWindowNs = msToNs(<f64>this.sampleWindowMs);
    p.minSamplesPerWindow = this.minSamplesPerWindow;
    p.percentile = this.percentile;
    p.minRttIntervalNs = msToNs(<f64>this.minRttIntervalMs);
    p.minRttJitter = this.minRttJitter;
    p.minRttSamples = this.minRttSamples;
    p.minRttConcurrency = this.minRttConcurrency;
    p.buffer = this.buffer;
    p.smoothing = this.smoothing;
    return p;
  }
}

export class TrafficShaperConfig {
  subjectHeader: string = "x-meshward-subject";
  riskScoreHeader: string = "x-meshward-risk-score";
  riskLevelHeader: string = "x-meshward-risk-level";
  rules: Array<RateLimitRule> = new Array<RateLimitRule>();
  maxDescriptorKeys: i32 = 10_000;
  descriptorIdleMs: i64 = 60_000;
  /** What to do when shared data fails (CAS retries exhausted, corrupt bucket): deny|allow|local. */
  failureMode: string = "deny";
  casRetries: i32 = 8;
  /** Which responses carry RateLimit/RateLimit-Policy: off|limited|all. */
  rateLimitHeaders: string = "limited";
  limitedStatus: i32 = 429;
  concurrency: ConcurrencyConfig = new ConcurrencyConfig();
  priorities: Array<PriorityClass> = new Array<PriorityClass>();

  toJson(): string {
    const rules = new Array<string>();
    for (let i = 0; i < this.rules.length; i++) rules.push(ruleJson(this.rules[i]));
    const prios = new Array<string>();
    for (let i = 0; i < this.priorities.length; i++) {
      const p = this.priorities[i];
      prios.push('{"name":' + quoteJson(p.name) + ',"share":' + fmt(p.share) + ',"match":' + matchJson(p.match) + "}");
    }
    const c = this.concurrency;
    return (
      '{"identityHeaders":{"subject":' +
      quoteJson(this.subjectHeader) +
      ',"riskScore":' +
      quoteJson(this.riskScoreHeader) +
      ',"riskLevel":' +
      quoteJson(this.riskLevelHeader) +
      "}" +
      ',"rules":[' +
      rules.join(",") +
      "]" +
      ',"descriptors":{"maxKeys":' +
      this.maxDescriptorKeys.toString() +
      ',"idleMs":' +
      this.descriptorIdleMs.toString() +
      "}" +
      ',"failureMode":' +
      quoteJson(this.failureMode) +
      ',"casRetries":' +
      this.casRetries.toString() +
      ',"rateLimitHeaders":' +
      quoteJson(this.rateLimitHeaders) +
      ',"limitedStatus":' +
      this.limitedStatus.toString() +
      ',"concurrency":{"enabled":' +
      (c.enabled ? "true" : "false") +
      ',"minLimit":' +
      c.minLimit.toString() +
      ',"maxLimit":' +
      c.maxLimit.toString() +
      ',"initialLimit":' +
      c.initialLimit.toString() +
      ',"sampleWindowMs":' +
      c.sampleWindowMs.toString() +
      ',"minSamplesPerWindow":' +
      c.minSamplesPerWindow.toString() +
      ',"percentile":' +
      fmt(c.percentile) +
      ',"minRttIntervalMs":' +
      c.minRttIntervalMs.toString() +
      ',"minRttJitter":' +
      fmt(c.minRttJitter) +
      ',"minRttSamples":' +
      c.minRttSamples.toString() +
      ',"minRttConcurrency":' +
      c.minRttConcurrency.toString() +
      ',"buffer":' +
      fmt(c.buffer) +
      ',"smoothing":' +
      fmt(c.smoothing) +
      ',"rejectStatus":' +
      c.rejectStatus.toString() +
      ',"reasonHeader":' +
      quoteJson(c.reasonHeader) +
      "}" +
      ',"priorities":[' +
      prios.join(",") +
      "]}"
    );
  }
}

export function parseTrafficShaperConfig(text: string): ConfigResult<TrafficShaperConfig> {
  return readConfig<TrafficShaperConfig>(text, new TrafficShaperConfig(), readRoot);
}

function readRoot(r: ObjectReader, c: TrafficShaperConfig): void {
  const ids = r.object("identityHeaders");
  if (ids !== null) {
    c.subjectHeader = headerName(ids, "subject", c.subjectHeader);
    c.riskScoreHeader = headerName(ids, "riskScore", c.riskScoreHeader);
    c.riskLevelHeader = headerName(ids, "riskLevel", c.riskLevelHeader);
    ids.finish();
  }
  const d = r.object("descriptors");
  if (d !== null) {
    c.maxDescriptorKeys = <i32>d.integer("maxKeys", c.maxDescriptorKeys, 1, 1_000_000);
    c.descriptorIdleMs = d.integer("idleMs", c.descriptorIdleMs, 1_000, DAY_MS);
    d.finish();
  }
  c.failureMode = r.choice("failureMode", c.failureMode, ["deny", "allow", "local"]);
  c.casRetries = <i32>r.integer("casRetries", c.casRetries, 1, 100);
  c.rateLimitHeaders = r.choice("rateLimitHeaders", c.rateLimitHeaders, ["off", "limited", "all"]);
  c.limitedStatus = <i32>r.integer("limitedStatus", c.limitedStatus, 400, 599);
  const rules = r.array("rules", 256);
  if (rules !== null) {
    for (let i = 0; i < rules.length; i++) {
      const rule = readRule(rules[i], indexPath("rules", i), r.errors);
      if (rule === null) continue;
      for (let j = 0; j < c.rules.length; j++) {
        if (c.rules[j].name == rule.name)
          r.errors.add(indexPath("rules", i) + ".name", 'duplicate rule name "' + rule.name + '"');
      }
      c.rules.push(rule);
    }
  }
  const conc = r.object("concurrency");
  if (conc !== null) readConcurrency(conc, c.concurrency);
  const prios = r.array("priorities", 16);
  if (prios !== null) readPriorities(prios, r.errors, c);
  r.finish();
}

function headerName(r: ObjectReader, field: string, def: string): string {
  const v = r.string(field, def, 128, false);
  if (!isLowerToken(v)) r.errors.add(r.fieldPath(field), "must be a lowercase HTTP header name");
  return v;
}

function readRule(value: JsonValue, path: string, errors: ConfigErrors): RateLimitRule | null {
  const r = ObjectReader.of(value, path, errors);
  if (r === null) return null;
  const rule = new RateLimitRule();
  if (!r.has("name")) errors.add(childPath(path, "name"), "required");
  rule.name = r.string("name", "", 64, false);
  if (rule.name.length > 0 && !isLowerToken(rule.name))
    errors.add(childPath(path, "name"), "must use only a-z 0-9 . _ -");
  const m = r.object("match");
  if (m !== null) rule.match = readMatch(m);
  const desc = r.string("descriptor", "global", 140, false);
  const parsed = parseDescriptor(desc);
  if (parsed === null || (parsed.header.length > 0 && !isLowerToken(parsed.header))) {
    errors.add(
      childPath(path, "descriptor"),
      'must be global|subject|source|authority|riskLevel|header:<lowercase name>, got "' + desc + '"',
    );
  } else rule.descriptor = parsed;
  const limit = r.object("limit");
  if (limit === null) {
    if (!r.has("limit")) errors.add(childPath(path, "limit"), "required");
  } else {
    rule.rate = limit.number("rate", 0, 0.001, 1e9);
    if (!limit.has("rate")) errors.add(limit.fieldPath("rate"), "required");
    const unit = limit.choice("unit", "second", UNITS);
    rule.unitSeconds = unit == "minute" ? 60 : unit == "hour" ? 3600 : 1;
    rule.burst = limit.number("burst", Math.max(1, Math.ceil(rule.rate)), 1, 1e9);
    limit.finish();
  }
  rule.shadow = r.bool("shadow", false);
  r.finish();
  return rule;
}

function readConcurrency(r: ObjectReader, c: ConcurrencyConfig): void {
  c.enabled = r.bool("enabled", c.enabled);
  c.minLimit = <i32>r.integer("minLimit", c.minLimit, 1, 100_000);
  c.maxLimit = <i32>r.integer("maxLimit", c.maxLimit, 1, 100_000);
  c.initialLimit = <i32>r.integer("initialLimit", c.initialLimit, 1, 100_000);
  c.sampleWindowMs = r.integer("sampleWindowMs", c.sampleWindowMs, 10, 60_000);
  c.minSamplesPerWindow = <i32>r.integer("minSamplesPerWindow", c.minSamplesPerWindow, 1, 1_000);
  c.percentile = r.number("percentile", c.percentile, 0.01, 1);
  c.minRttIntervalMs = r.integer("minRttIntervalMs", c.minRttIntervalMs, 1_000, DAY_MS);
  c.minRttJitter = r.number("minRttJitter", c.minRttJitter, 0, 1);
  c.minRttSamples = <i32>r.integer("minRttSamples", c.minRttSamples, 1, 1_000);
  c.minRttConcurrency = <i32>r.integer("minRttConcurrency", c.minRttConcurrency, 1, 1_000);
  c.buffer = r.number("buffer", c.buffer, 0, 10);
  c.smoothing = r.number("smoothing", c.smoothing, 0.01, 1);
  c.rejectStatus = <i32>r.integer("rejectStatus", c.rejectStatus, 400, 599);
  c.reasonHeader = r.string("reasonHeader", c.reasonHeader, 128, false);
  if (!isLowerToken(c.reasonHeader)) r.errors.add(r.fieldPath("reasonHeader"), "must be a lowercase HTTP header name");
  if (c.maxLimit < c.minLimit)
    r.errors.add(r.fieldPath("maxLimit"), "must be ≥ minLimit (" + c.minLimit.toString() + ")");
  if (c.initialLimit < c.minLimit || c.initialLimit > c.maxLimit) {
    r.errors.add(r.fieldPath("initialLimit"), "must be within [minLimit, maxLimit]");
  }
  r.finish();
}

function readPriorities(items: Array<JsonValue>, errors: ConfigErrors, c: TrafficShaperConfig): void {
  for (let i = 0; i < items.length; i++) {
    const path = indexPath("priorities", i);
    const r = ObjectReader.of(items[i], path, errors);
    if (r === null) continue;
    if (!r.has("name")) errors.add(childPath(path, "name"), "required");
    const name = r.string("name", "", 64, false);
    if (name.length > 0 && !isLowerToken(name)) errors.add(childPath(path, "name"), "must use only a-z 0-9 . _ -");
    const share = r.number("share", 1, 0.01, 1);
    const m = r.object("match");
    const match = m !== null ? readMatch(m) : new RequestMatch();
    r.finish();
    if (c.priorities.length > 0 && share > c.priorities[c.priorities.length - 1].share) {
      errors.add(
        childPath(path, "share"),
        "must not exceed the share of the class above it (classes are listed highest first)",
      );
    }
    for (let j = 0; j < c.priorities.length; j++) {
      if (c.priorities[j].name == name) errors.add(childPath(path, "name"), 'duplicate class "' + name + '"');
    }
    c.priorities.push(new PriorityClass(name, share, match));
  }
}

function ruleJson(r: RateLimitRule): string {
  const unit = r.unitSeconds == 60 ? "minute" : r.unitSeconds == 3600 ? "hour" : "second";
  return (
    '{"name":' +
    quoteJson(r.name) +
    ',"match":' +
    matchJson(r.match) +
    ',"descriptor":' +
    quoteJson(r.descriptor.toString()) +
    ',"limit":{"rate":' +
    fmt(r.rate) +
    ',"unit":"' +
    unit +
    '","burst":' +
    fmt(r.burst) +
    "}" +
    ',"shadow":' +
    (r.shadow ? "true" : "false") +
    "}"
  );
}
