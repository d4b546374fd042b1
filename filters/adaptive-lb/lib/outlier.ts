/**
 * Outlier ejection for one endpoint: when to take it out of rotation and for how long.
 *
 * Follows the shape of Envoy's outlier detection (consecutive 5xx, success rate, ejection time
 * growing with the number of ejections, `max_ejection_percent`) with three differences:
 * - the success-rate check is absolute (`successRateMin` over a window with a minimum volume)
 *   rather than Envoy's "mean − stdev_factor·stdev across hosts", which needs ≥ 5 hosts to work;
 * - back-off is exponential, `base · 2^(k−1)` for the k-th consecutive ejection, capped at
 *   `maxEjectionNs` (Envoy grows linearly, `base · k`); k resets after a full `maxEjectionNs` of
 *   good behaviour since the last return;
 * - whether an ejection is *allowed* (max percentage, never all) is decided by the caller, which
 *   sees every endpoint (`maxEjectable`).
 *
 * Times in ns. A clock going backwards only delays the return (never returns early).
 */
import { deadlineNs, elapsedNs, msToNs } from "../../lib/time";
import { AdaptiveLbConfig } from "./config";

/** The outlier settings in algorithm units (ns); built from the config by `outlierPolicyOf`. */
export class OutlierPolicy {
  /** Eject after this many failures in a row; 0 disables. */
  consecutiveFailures: i32 = 0;
  /** Eject when successes/total falls below this over a window; 0 disables. */
  successRateMin: f64 = 0;
  successRateMinRequests: i32 = 0;
  successRateWindowNs: i64 = 0;
  baseEjectionNs: i64 = 0;
  maxEjectionNs: i64 = 0;
  /** At most this share of the known endpoints may be ejected at once. */
  maxEjectionPercent: f64 = 0;
}

/** The config's outlier fields (ms, the one place defaults are written) as a policy in ns. */
export function outlierPolicyOf(config: AdaptiveLbConfig): OutlierPolicy {
  const o = new OutlierPolicy();
  o.consecutiveFailures = config.consecutiveFailures;
  o.successRateMin = config.successRateMin;
  o.successRateMinRequests = config.successRateMinRequests;
  o.successRateWindowNs = msToNs(<f64>config.successRateWindowMs);
  o.baseEjectionNs = msToNs(<f64>config.baseEjectionMs);
  o.maxEjectionNs = msToNs(<f64>config.maxEjectionMs);
  o.maxEjectionPercent = config.maxEjectionPercent;
  return o;
}

export class OutlierState {
  consecutiveFailures: i32 = 0;
  windowStartNs: i64 = 0;
  windowTotal: i32 = 0;
  windowSuccesses: i32 = 0;
  ejected: bool = false;
  ejectedUntilNs: i64 = 0;
  /** Ejections in the current back-off streak (drives the exponential). */
  ejectionStreak: i32 = 0;
  returnedAtNs: i64 = 0;
  totalEjections: i64 = 0;

  constructor(nowNs: i64) {
    this.windowStartNs = nowNs;
  }

  /**
   * Records one outcome; returns true when the policy asks for an ejection (the caller decides
   * whether one is allowed, then calls `eject`). Outcomes of an ejected endpoint (requests still
   * in flight when it was ejected) are counted but never re-trigger.
   */
  record(failed: bool, nowNs: i64, policy: OutlierPolicy): bool {
    if (elapsedNs(nowNs, this.windowStartNs) >= policy.successRateWindowNs) {
      this.windowStartNs = nowNs;
      this.windowTotal = 0;
      this.windowSuccesses = 0;
    }
    this.windowTotal++;
    if (failed) this.consecutiveFailures++;
    else {
      this.consecutiveFailures = 0;
      this.windowSuccesses++;
    }
    if (this.ejected) return false;
    if (policy.consecutiveFailures > 0 && this.consecutiveFailures >= policy.consecutiveFailures) return true;
    if (policy.successRateMin > 0 && this.windowTotal >= policy.successRateMinRequests) {
      return <f64>this.windowSuccesses / <f64>this.windowTotal < policy.successRateMin;
    }
    return false;
  }

  /** Ejects until `now + ejectionDurationNs(streak)`. */
  eject(nowNs: i64, policy: OutlierPolicy): void {
    if (this.ejectionStreak > 0 && elapsedNs(nowNs, this.returnedAtNs) >= policy.maxEjectionNs) {
      this.ejectionStreak = 0;
    }
    this.ejectionStreak++;
    this.ejected = true;
    this.ejectedUntilNs = deadlineNs(nowNs, ejectionDurationNs(this.ejectionStreak, policy));
    this.totalEjections++;
  }

  /** Returns the endpoint to rotation if its time is up; true when it just returned. */
  maybeReturn(nowNs: i64): bool {
    if (!this.ejected || nowNs < this.ejectedUntilNs) return false;
    this.ejected = false;
    this.returnedAtNs = nowNs;
    this.consecutiveFailures = 0;
    this.windowStartNs = nowNs;
    this.windowTotal = 0;
    this.windowSuccesses = 0;
    return true;
  }
}

/** `base · 2^(streak−1)`, capped at `maxEjectionNs`; streak ≤ 0 counts as 1. Overflow-safe. */
export function ejectionDurationNs(streak: i32, policy: OutlierPolicy): i64 {
  let d = policy.baseEjectionNs;
  for (let k = 1; k < streak; k++) {
    if (d >= policy.maxEjectionNs / 2) return policy.maxEjectionNs;
    d *= 2;
  }
  return d < policy.maxEjectionNs ? d : policy.maxEjectionNs;
}

/**
 * How many of `known` endpoints may be ejected at once: `floor(known · pct / 100)`, and never all
 * of them (at most `known − 1`), so traffic always has somewhere to go. With one endpoint: 0.
 */
export function maxEjectable(known: i32, maxEjectionPercent: f64): i32 {
  if (known <= 1) return 0;
  const byPercent = <i32>Math.floor((<f64>known * maxEjectionPercent) / 100 + 1e-9);
  return byPercent < known - 1 ? byPercent : known - 1;
}
