/**
 * Glue: the local replies and response headers of the traffic shaper.
 *
 * Rate-limited: `limitedStatus` (429) with `Retry-After` (delay-seconds, ≥ 1) and, unless
 * `rateLimitHeaders` is `off`, `RateLimit-Policy` and `RateLimit` of the limiting rule
 * (`lib/ratelimit-headers.ts`). Over the concurrency limit or shed: `rejectStatus` (503) with the
 * reason header (`concurrency.reasonHeader`, value `concurrency-limit` or `priority:<class>`).
 * Response code details (Envoy access log `%RESPONSE_CODE_DETAILS%`): `meshward_rate_limited`,
 * `meshward_concurrency_limited`, `meshward_priority_shed`.
 */
import { addHeaderString, HeaderPairs, MapType, NO_GRPC_STATUS, sendLocalResponse } from "../sdk";
import { TrafficShaperConfig } from "./lib/config";
import { rateLimitPolicyValue, rateLimitValue, retryAfterValue } from "./lib/ratelimit-headers";
import { RateLimitRule } from "./lib/rules";
import { TakeResult } from "./lib/token-bucket";

/** Advertised quota: the rate per unit, rounded down, at least 1 (the draft's q is an integer). */
function quota(rule: RateLimitRule): i64 {
  const q = <i64>Math.floor(rule.rate);
  return q > 0 ? q : 1;
}

function addRateLimitState(pairs: HeaderPairs, rule: RateLimitRule, result: TakeResult): void {
  pairs.add("ratelimit-policy", rateLimitPolicyValue(rule.name, quota(rule), rule.unitSeconds));
  pairs.add("ratelimit", rateLimitValue(rule.name, result.remaining, result.resetNs));
}

export function sendRateLimited(
  c: TrafficShaperConfig,
  rule: RateLimitRule,
  result: TakeResult,
  haveState: bool,
): void {
  const pairs = new HeaderPairs();
  pairs.add("retry-after", retryAfterValue(result.retryAfterNs));
  if (haveState && c.rateLimitHeaders != "off") addRateLimitState(pairs, rule, result);
  const body = String.UTF8.encode("rate limited by " + rule.name + "\n");
  sendLocalResponse(<u32>c.limitedStatus, "meshward_rate_limited", body, pairs, NO_GRPC_STATUS);
}

/** `reason`: "concurrency-limit" or "priority:<class>". */
export function sendShed(c: TrafficShaperConfig, reason: string): void {
  const pairs = new HeaderPairs();
  pairs.add(c.concurrency.reasonHeader, reason);
  const details = reason.startsWith("priority:") ? "meshward_priority_shed" : "meshward_concurrency_limited";
  const body = String.UTF8.encode("shed: " + reason + "\n");
  sendLocalResponse(<u32>c.concurrency.rejectStatus, details, body, pairs, NO_GRPC_STATUS);
}

/** RateLimit headers on an allowed response (`rateLimitHeaders: all`). */
export function addAllowedHeaders(rule: RateLimitRule, result: TakeResult): void {
  addHeaderString(
    MapType.ResponseHeaders,
    "ratelimit-policy",
    rateLimitPolicyValue(rule.name, quota(rule), rule.unitSeconds),
  );
  addHeaderString(MapType.ResponseHeaders, "ratelimit", rateLimitValue(rule.name, result.remaining, result.resetNs));
}
