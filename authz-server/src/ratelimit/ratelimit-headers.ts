// The RateLimit response headers of draft-ietf-httpapi-ratelimit-headers-10, as the traffic-shaper
// writes them (filters/traffic-shaper/lib/ratelimit-headers.ts), for the global tier: Envoy's
// ratelimit filter adds `response_headers_to_add` to the response (the 429 when over the limit).
//
//   RateLimit-Policy: "<name>";q=<requests_per_unit>;w=<unit seconds>, …
//   RateLimit: "<name>";r=<requests left>;t=<seconds until the bucket is full>, …
//   Retry-After: <seconds until the refused request would pass, ≥ 1>     (refused responses only)
//
// One list member per limit of the request (a name once, with its lowest `r`). The burst has no
// draft parameter; `t` rounds up. Pure.

export interface LimitState {
  /** Printable ASCII (rules.ts guarantees it). */
  readonly name: string;
  readonly requestsPerUnit: number;
  readonly unitSeconds: number;
  readonly remaining: number;
  readonly resetUs: number;
}

/** RFC 9651 sf-string: quoted, `"` and `\` escaped. */
export function sfString(s: string): string {
  return `"${s.replace(/["\\]/g, "\\$&")}"`;
}

function ceilSeconds(us: number): number {
  return us <= 0 ? 0 : Math.ceil(us / 1e6 - 1e-9);
}

/** Header name/value pairs for these limits (empty list → no headers). */
export function rateLimitHeaders(limits: readonly LimitState[], retryUs: number | undefined): [string, string][] {
  if (limits.length === 0) return [];
  const byName = new Map<string, LimitState>();
  for (const limit of limits) {
    const seen = byName.get(limit.name);
    if (!seen || limit.remaining < seen.remaining) byName.set(limit.name, limit);
  }
  const policy: string[] = [];
  const state: string[] = [];
  for (const l of byName.values()) {
    const name = sfString(l.name);
    policy.push(`${name};q=${l.requestsPerUnit};w=${l.unitSeconds}`);
    state.push(`${name};r=${l.remaining};t=${ceilSeconds(l.resetUs)}`);
  }
  const headers: [string, string][] = [
    ["ratelimit-policy", policy.join(", ")],
    ["ratelimit", state.join(", ")],
  ];
  if (retryUs !== undefined) headers.push(["retry-after", String(Math.max(1, ceilSeconds(retryUs)))]);
  return headers;
}
