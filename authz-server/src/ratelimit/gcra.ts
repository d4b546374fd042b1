// GCRA (the generic cell rate algorithm, ITU-T I.371), the token bucket in one number per key.
//
// A limit of `rate` requests per `unit` with capacity `burst` has the emission interval
// T = unit / rate and the tolerance τ = burst · T. The only state is the theoretical arrival time
// TAT, the instant at which the bucket would be full again (absent or in the past = full). A
// request costing n at time t:
//
//   tat  = max(TAT, t)
//   next = tat + n·T
//   admitted  ⇔  next − t ≤ τ            then TAT ← next
//   remaining = ⌊(τ − (TAT − t)) / T⌋      whole requests that would still pass now
//   reset     = TAT − t                    time until the bucket is full again
//   retry     = next − τ − t               (refused) time until these n would pass
//
// This is exactly a token bucket holding burst − (TAT − t)/T tokens, so over any window W at most
// burst + rate·W/unit requests are admitted, with no fixed-window edge where twice the quota passes
// (envoyproxy/ratelimit's fixed window admits up to 2× requests_per_unit around a window boundary).
// One number per key (not tokens + timestamp) is what makes it cheap in Redis: one GET, one SET
// with an expiry of `reset` (after which the key is equivalent to absent).
//
// Times are microseconds since RATE_EPOCH (2025-01-01T00:00:00Z), not since 1970: doubles hold
// them to 1/64 µs, so at the highest allowed rate (1e5/s, T = 10 µs) rounding stays below 0.1%.
// Redis scripts mirror this function line by line (redis-script.ts); both are pinned by tests.

/** 2025-01-01T00:00:00Z in Unix seconds. */
export const RATE_EPOCH_SECONDS = 1_735_689_600;
/** Slack for float noise in the admission test, µs (1 ns). */
export const ADMIT_EPSILON_US = 0.001;

export interface GcraLimit {
  /** Emission interval T, µs. */
  intervalUs: number;
  /** Tolerance τ = burst · T, µs. */
  toleranceUs: number;
}

export interface GcraOutcome {
  admitted: boolean;
  /** The key's new TAT when admitted (to store), else the unchanged max(TAT, t). */
  tatUs: number;
  remaining: number;
  resetUs: number;
  /** 0 when admitted. */
  retryUs: number;
}

export function gcraLimit(requestsPerUnit: number, unitSeconds: number, burst: number): GcraLimit {
  const intervalUs = (unitSeconds * 1e6) / requestsPerUnit;
  return { intervalUs, toleranceUs: burst * intervalUs };
}

/** Decides one request of `cost` at `nowUs` against stored TAT `storedUs` (0 or absent = full). */
export function gcra(limit: GcraLimit, storedUs: number, nowUs: number, cost: number): GcraOutcome {
  const tat = Math.max(storedUs, nowUs);
  const next = tat + cost * limit.intervalUs;
  const admitted = next - nowUs <= limit.toleranceUs + ADMIT_EPSILON_US;
  const after = admitted ? next : tat;
  return {
    admitted,
    tatUs: after,
    remaining: remainingAt(limit, after, nowUs),
    resetUs: after - nowUs,
    retryUs: admitted ? 0 : next - limit.toleranceUs - nowUs,
  };
}

/** Whole requests a bucket with TAT `tatUs` (≥ now) still admits at `nowUs`. */
export function remainingAt(limit: GcraLimit, tatUs: number, nowUs: number): number {
  const remaining = Math.floor((limit.toleranceUs - (tatUs - nowUs)) / limit.intervalUs + 1e-9);
  return Math.max(remaining, 0);
}

/** Microseconds since RATE_EPOCH from a Unix-epoch millisecond clock reading. */
export function epochUs(unixMs: number): number {
  return (unixMs - RATE_EPOCH_SECONDS * 1000) * 1000;
}
