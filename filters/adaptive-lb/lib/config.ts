/**
 * The adaptive-lb `pluginConfig` schema: typed fields with named defaults, a strict parser
 * (unknown fields, wrong types and out-of-range values are errors naming the field), cross-field
 * checks, and `toJson` for the round trip. The field table lives in `filters/adaptive-lb/README.md`.
 *
 * Durations are milliseconds in JSON and stay milliseconds here; the balancer converts once.
 */
import { ConfigResult, readConfig, ObjectReader, fmt, indexPath, isLowerToken } from "../../lib/config-reader";
import { parseSmallDecimal } from "../../lib/decimal";
import { parseIp } from "../../lib/ip";
import { JsonKind, quoteJson } from "../../lib/json";

export const DEFAULT_HEADER = "x-gateway-destination-endpoint";
const MAX_ENDPOINTS_LIMIT: i64 = 4096;
const DAY_MS: i64 = 86_400_000;

export class AdaptiveLbConfig {
  header: string = DEFAULT_HEADER;
  maxHostsInHeader: i32 = 3;
  minHealthyEndpoints: i32 = 2;
  endpoints: Array<string> = new Array<string>();
  maxEndpoints: i32 = 64;
  endpointTtlMs: i64 = 60_000;
  // ewma
  decayMs: i64 = 10_000;
  defaultRttMs: f64 = 10;
  peakSensitivity: f64 = 1;
  failurePenalty: f64 = 5;
  // outlier
  consecutiveFailures: i32 = 5;
  successRateMin: f64 = 0;
  successRateMinRequests: i32 = 20;
  successRateWindowMs: i64 = 10_000;
  baseEjectionMs: i64 = 30_000;
  maxEjectionMs: i64 = 300_000;
  maxEjectionPercent: f64 = 50;
  // slow start
  slowStartWindowMs: i64 = 10_000;
  slowStartAggression: f64 = 1;
  slowStartMinWeight: f64 = 0.1;
  // trend (fault prediction)
  trendEnabled: bool = true;
  trendFastDecayMs: i64 = 1_000;
  trendSlowDecayMs: i64 = 30_000;
  trendLatencyRatioFull: f64 = 3;
  trendErrorRateFull: f64 = 0.5;
  trendMaxWeightReduction: f64 = 0.8;
  debugHeader: string = "";
  // metrics
  maxEndpointGauges: i32 = 16;

  /** Canonical JSON with every field spelled out; `parseAdaptiveLbConfig(toJson())` round-trips. */
  toJson(): string {
    const eps = new Array<string>();
    for (let i = 0; i < this.endpoints.length; i++) eps.push(quoteJson(this.endpoints[i]));
    return (
      "{" +
      '"header":' +
      quoteJson(this.header) +
      ',"maxHostsInHeader":' +
      this.maxHostsInHeader.toString() +
      ',"minHealthyEndpoints":' +
      this.minHealthyEndpoints.toString() +
      ',"endpoints":[' +
      eps.join(",") +
      "]" +
      ',"maxEndpoints":' +
      this.maxEndpoints.toString() +
      ',"endpointTtlMs":' +
      this.endpointTtlMs.toString() +
      ',"ewma":{"decayMs":' +
      this.decayMs.toString() +
      ',"defaultRttMs":' +
      fmt(this.defaultRttMs) +
      ',"peakSensitivity":' +
      fmt(this.peakSensitivity) +
      ',"failurePenalty":' +
      fmt(this.failurePenalty) +
      "}" +
      ',"outlier":{"consecutiveFailures":' +
      this.consecutiveFailures.toString() +
      ',"successRateMin":' +
      fmt(this.successRateMin) +
      ',"successRateMinRequests":' +
      this.successRateMinRequests.toString() +
      ',"successRateWindowMs":' +
      this.successRateWindowMs.toString() +
      ',"baseEjectionMs":' +
      this.baseEjectionMs.toString() +
      ',"maxEjectionMs":' +
      this.maxEjectionMs.toString() +
      ',"maxEjectionPercent":' +
      fmt(this.maxEjectionPercent) +
      "}" +
      ',"slowStart":{"windowMs":' +
      this.slowStartWindowMs.toString() +
      ',"aggression":' +
      fmt(this.slowStartAggression) +
      ',"minWeight":' +
      fmt(this.slowStartMinWeight) +
      "}" +
      ',"trend":{"enabled":' +
      (this.trendEnabled ? "true" : "false") +
      ',"fastDecayMs":' +
      this.trendFastDecayMs.toString() +
      ',"slowDecayMs":' +
      this.trendSlowDecayMs.toString() +
      ',"latencyRatioFull":' +
      fmt(this.trendLatencyRatioFull) +
      ',"errorRateFull":' +
      fmt(this.trendErrorRateFull) +
      ',"maxWeightReduction":' +
      fmt(this.trendMaxWeightReduction) +
      ',"debugHeader":' +
      quoteJson(this.debugHeader) +
      "}" +
      ',"metrics":{"maxEndpointGauges":' +
      this.maxEndpointGauges.toString() +
      "}" +
      "}"
    );
  }
}

/** Parses `pluginConfig` bytes-as-string. Empty input (no pluginConfig) means all defaults. */
export function parseAdaptiveLbConfig(text: string): ConfigResult<AdaptiveLbConfig> {
  return readConfig<AdaptiveLbConfig>(text, new AdaptiveLbConfig(), readRoot);
}

function readRoot(r: ObjectReader, c: AdaptiveLbConfig): void {
  c.header = r.string("header", c.header, 128, false);
  if (!isLowerToken(c.header)) r.errors.add("header", "must be a lowercase HTTP header name");
  c.maxHostsInHeader = <i32>r.integer("maxHostsInHeader", c.maxHostsInHeader, 1, 8);
  c.minHealthyEndpoints = <i32>r.integer("minHealthyEndpoints", c.minHealthyEndpoints, 1, 1024);
  c.maxEndpoints = <i32>r.integer("maxEndpoints", c.maxEndpoints, 1, MAX_ENDPOINTS_LIMIT);
  c.endpointTtlMs = r.integer("endpointTtlMs", c.endpointTtlMs, 1_000, DAY_MS);
  readEndpoints(r, c);

  const ewma = r.object("ewma");
  if (ewma !== null) {
    c.decayMs = ewma.integer("decayMs", c.decayMs, 1, 3_600_000);
    c.defaultRttMs = ewma.number("defaultRttMs", c.defaultRttMs, 0.001, 60_000);
    c.peakSensitivity = ewma.number("peakSensitivity", c.peakSensitivity, 0, 1);
    c.failurePenalty = ewma.number("failurePenalty", c.failurePenalty, 1, 1_000);
    ewma.finish();
  }
  const outlier = r.object("outlier");
  if (outlier !== null) {
    c.consecutiveFailures = <i32>outlier.integer("consecutiveFailures", c.consecutiveFailures, 0, 1_000);
    c.successRateMin = outlier.number("successRateMin", c.successRateMin, 0, 1);
    c.successRateMinRequests = <i32>outlier.integer("successRateMinRequests", c.successRateMinRequests, 1, 100_000);
    c.successRateWindowMs = outlier.integer("successRateWindowMs", c.successRateWindowMs, 100, DAY_MS);
    c.baseEjectionMs = outlier.integer("baseEjectionMs", c.baseEjectionMs, 1, DAY_MS);
    c.maxEjectionMs = outlier.integer("maxEjectionMs", c.maxEjectionMs, 1, DAY_MS);
    c.maxEjectionPercent = outlier.number("maxEjectionPercent", c.maxEjectionPercent, 0, 100);
    if (c.maxEjectionMs < c.baseEjectionMs) {
      r.errors.add("outlier.maxEjectionMs", "must be ≥ outlier.baseEjectionMs (" + c.baseEjectionMs.toString() + ")");
    }
    outlier.finish();
  }
  const slow = r.object("slowStart");
  if (slow !== null) {
    c.slowStartWindowMs = slow.integer("windowMs", c.slowStartWindowMs, 0, 3_600_000);
    c.slowStartAggression = slow.number("aggression", c.slowStartAggression, 0.1, 10);
    c.slowStartMinWeight = slow.number("minWeight", c.slowStartMinWeight, 0.01, 1);
    slow.finish();
  }
  const trend = r.object("trend");
  if (trend !== null) {
    c.trendEnabled = trend.bool("enabled", c.trendEnabled);
    c.trendFastDecayMs = trend.integer("fastDecayMs", c.trendFastDecayMs, 10, 3_600_000);
    c.trendSlowDecayMs = trend.integer("slowDecayMs", c.trendSlowDecayMs, 10, 3_600_000);
    c.trendLatencyRatioFull = trend.number("latencyRatioFull", c.trendLatencyRatioFull, 1.01, 100);
    c.trendErrorRateFull = trend.number("errorRateFull", c.trendErrorRateFull, 0.01, 1);
    c.trendMaxWeightReduction = trend.number("maxWeightReduction", c.trendMaxWeightReduction, 0, 0.99);
    c.debugHeader = trend.string("debugHeader", c.debugHeader, 128, true);
    if (c.debugHeader.length > 0 && !isLowerToken(c.debugHeader)) {
      r.errors.add("trend.debugHeader", "must be a lowercase HTTP header name (or empty to disable)");
    }
    if (c.trendSlowDecayMs <= c.trendFastDecayMs) {
      r.errors.add(
        "trend.slowDecayMs",
        "must be greater than trend.fastDecayMs (" + c.trendFastDecayMs.toString() + ")",
      );
    }
    trend.finish();
  }
  const metrics = r.object("metrics");
  if (metrics !== null) {
    c.maxEndpointGauges = <i32>metrics.integer("maxEndpointGauges", c.maxEndpointGauges, 0, 256);
    metrics.finish();
  }
  r.finish();
}

function readEndpoints(r: ObjectReader, c: AdaptiveLbConfig): void {
  const items = r.array("endpoints", <i32>MAX_ENDPOINTS_LIMIT);
  if (items === null) return;
  for (let i = 0; i < items.length; i++) {
    const path = indexPath("endpoints", i);
    const item = items[i];
    if (item.kind != JsonKind.String || !isHostPort(item.stringValue)) {
      r.errors.add(path, 'expected "IP:port" (IPv6 as "[addr]:port")');
      continue;
    }
    if (c.endpoints.includes(item.stringValue)) {
      r.errors.add(path, 'duplicate endpoint "' + item.stringValue + '"');
      continue;
    }
    c.endpoints.push(item.stringValue);
  }
  if (c.endpoints.length > c.maxEndpoints) {
    r.errors.add("endpoints", "more entries than maxEndpoints (" + c.maxEndpoints.toString() + ")");
  }
}

/**
 * "a.b.c.d:port" with a dotted-quad IPv4 address, or "[v6]:port" (the form Envoy's override-host
 * header and `upstream.address` use). Port 1..65535. Hostnames are refused: override_host matches
 * resolved addresses only.
 */
export function isHostPort(s: string): bool {
  const colon = s.lastIndexOf(":");
  if (colon <= 0) return false;
  const port = parseSmallDecimal(s.substring(colon + 1), 5);
  if (port < 1 || port > 65535) return false;
  const host = s.substring(0, colon);
  if (host.startsWith("["))
    return host.endsWith("]") && host.indexOf(":") > 0 && parseIp(host.substring(1, host.length - 1)) !== null;
  return host.indexOf(":") < 0 && parseIp(host) !== null;
}
