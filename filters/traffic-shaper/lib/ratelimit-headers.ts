/**
 * Response header values for rate-limited (and optionally allowed) requests.
 *
 * `RateLimit-Policy` and `RateLimit` follow draft-ietf-httpapi-ratelimit-headers-10 (structured
 * fields, RFC 9651): a policy item is the policy name as an sf-string with parameters
 * `q` (quota, requests) and `w` (window, seconds); the current state is the name with `r`
 * (remaining quota) and `t` (seconds until the quota resets). A token bucket of `rate` per
 * `unit` is advertised as q = rate, w = unit seconds (the burst has no draft parameter);
 * `r` is the whole tokens left, `t` the seconds until the bucket is full again, rounded up.
 * `Retry-After` is RFC 9110 §10.2.3 delay-seconds, rounded up, at least 1 for a denied request.
 */
import { NS_PER_SEC } from "../../lib/time";

/** RFC 9651 sf-string: quoted, with `"` and `\` escaped. Names are validated printable ASCII. */
export function sfString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c == '"' || c == "\\") out += "\\";
    out += c;
  }
  return out + '"';
}

/** `"name";q=100;w=60` */
export function rateLimitPolicyValue(name: string, quota: i64, windowSeconds: i64): string {
  return sfString(name) + ";q=" + quota.toString() + ";w=" + windowSeconds.toString();
}

/** `"name";r=0;t=5` */
export function rateLimitValue(name: string, remaining: f64, resetNs: i64): string {
  const r: i64 = remaining > 0 ? <i64>Math.floor(remaining) : 0;
  return sfString(name) + ";r=" + r.toString() + ";t=" + ceilSeconds(resetNs).toString();
}

/** Delay-seconds for Retry-After: ceil(ns / 1e9), at least 1. */
export function retryAfterValue(retryAfterNs: i64): string {
  const s = ceilSeconds(retryAfterNs);
  return (s < 1 ? 1 : s).toString();
}

/** ceil(ns / 1 s) for ns ≥ 0 (negative → 0), overflow-safe. */
export function ceilSeconds(ns: i64): i64 {
  if (ns <= 0) return 0;
  return ns / NS_PER_SEC + (ns % NS_PER_SEC != 0 ? 1 : 0);
}
