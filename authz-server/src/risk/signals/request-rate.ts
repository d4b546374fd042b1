// Signal 3 — request-rate anomaly: this principal's request count in the current bucket against an
// exponentially weighted baseline of its own past buckets.
//
// The store counts requests per principal in buckets of `bucketMs` (default 10 s) and keeps
// `historyBuckets` (default 60, i.e. 10 min). Baseline over the completed buckets x_1..x_n, oldest
// first, from the principal's first bucket on (idle buckets count as 0), with α = `alpha` (0.1):
//   m ← m + α·d,  v ← (1 − α)·(v + α·d²),  d = x − m,  starting from m = x_1, v = 0
// (the incremental exponentially weighted mean and variance; Finch 2009, "Incremental calculation
// of weighted mean and variance", §9). z = (c − m) / max(√v, minStd) where c is the current bucket's
// count including this request (a partial bucket, so z is conservative early in a bucket).
// strength = ramp(z, zStart, zFull) when c ≥ minCount, else 0; contribution = weight × strength.
// Defaults: weight 40, minHistoryBuckets 6 (no judgement for a principal seen < 1 min), minCount 20,
// minStd 1 request/bucket, zStart 4, zFull 10.
import { addReason, ramp, type Signal } from "./signal.ts";

export interface RequestRateConfig {
  weight: number;
  bucketMs: number;
  historyBuckets: number;
  alpha: number;
  minHistoryBuckets: number;
  minCount: number;
  minStd: number;
  zStart: number;
  zFull: number;
}

export const REQUEST_RATE_DEFAULTS: RequestRateConfig = {
  weight: 40,
  bucketMs: 10_000,
  historyBuckets: 60,
  alpha: 0.1,
  minHistoryBuckets: 6,
  minCount: 20,
  minStd: 1,
  zStart: 4,
  zFull: 10,
};

export interface RateBaseline {
  mean: number;
  std: number;
  buckets: number;
}

/** EW mean and standard deviation of the completed buckets before `current`; null without history. */
export function rateBaseline(
  buckets: ReadonlyMap<number, number>,
  current: number,
  alpha: number,
  historyBuckets: number,
): RateBaseline | null {
  let first = current;
  for (const index of buckets.keys()) if (index < first && index >= current - historyBuckets) first = index;
  if (first === current) return null;
  let mean = buckets.get(first) ?? 0;
  let variance = 0;
  for (let i = first + 1; i < current; i++) {
    const d = (buckets.get(i) ?? 0) - mean;
    mean += alpha * d;
    variance = (1 - alpha) * (variance + alpha * d * d);
  }
  return { mean, std: Math.sqrt(variance), buckets: current - first };
}

export function createRequestRate(config: RequestRateConfig): Signal {
  return ({ snapshot, nowMs, principal }, out) => {
    if (principal === null) return;
    const current = Math.floor(nowMs / config.bucketMs);
    const count = snapshot.rateBuckets.get(current) ?? 0;
    if (count < config.minCount) return;
    const base = rateBaseline(snapshot.rateBuckets, current, config.alpha, config.historyBuckets);
    if (base === null || base.buckets < config.minHistoryBuckets) return;
    const z = (count - base.mean) / Math.max(base.std, config.minStd);
    addReason(
      out,
      "request-rate",
      config.weight,
      ramp(z, config.zStart, config.zFull),
      `${count} requests in the current ${config.bucketMs / 1000} s bucket vs baseline ` +
        `${base.mean.toFixed(2)} ± ${base.std.toFixed(2)} (z = ${z.toFixed(1)})`,
    );
  };
}
