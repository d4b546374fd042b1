/**
 * Peak-EWMA round-trip-time estimate of one endpoint ("how slow is it", not "which one").
 *
 * Design: Finagle's `PeakEwma` load metric (Twitter, 2016; the same design that tower's
 * `load::PeakEwma` and Linkerd's balancer follow; Buoyant's "Beyond Round Robin" post measured it).
 * The estimate reacts to a slow response immediately (peak) and forgets it gradually (EWMA):
 *
 *   on a sample `rtt` at time `t` (elapsed `Δ = max(0, t − stamp)`, weight `w = exp(−Δ / τ)`):
 *     if rtt > cost:  cost ← cost + s·(rtt − cost)          (s = peak sensitivity, 1 = pure peak)
 *     else:           cost ← w·cost + (1 − w)·rtt
 *   on a read at time `t` (non-mutating, as linkerd's `get_at`):
 *     costAt(t) = cost · exp(−max(0, t − stamp) / τ)
 *
 * The read decays towards zero like Finagle's and tower's: an endpoint nobody has asked for a
 * while looks cheap again, receives a request, and so gets re-measured (this is how a recovered
 * endpoint wins traffic back without a separate probe).
 *
 * Units: nanoseconds for times and RTTs, `τ` (decay) in ns. Edge cases: `τ` is clamped to at
 * least `MIN_DECAY_NS` (avoids division by zero); NaN, infinite or negative samples are rejected
 * (`observe` returns false; NaN would poison the estimate for ever); a clock going backwards
 * counts as no time elapsed. Differs from Finagle in that new endpoints start at a configured
 * default RTT (Finagle starts at 0 plus a pending penalty) and peak sensitivity is tunable.
 */
import { elapsedNs, laterNs } from "../../lib/time";

/** 1 µs: the smallest decay accepted; avoids dividing by zero. */
export const MIN_DECAY_NS: f64 = 1_000;

export class PeakEwma {
  /** Current estimate in ns, as of `stampNs`. */
  costNs: f64;
  stampNs: i64;
  readonly decayNs: f64;
  readonly peakSensitivity: f64;

  constructor(defaultRttNs: f64, decayNs: f64, peakSensitivity: f64, nowNs: i64) {
    this.costNs = defaultRttNs > 0 && isFinite(defaultRttNs) ? defaultRttNs : 0;
    this.stampNs = nowNs;
    this.decayNs = decayNs > MIN_DECAY_NS ? decayNs : MIN_DECAY_NS;
    this.peakSensitivity = peakSensitivity >= 0 && peakSensitivity <= 1 ? peakSensitivity : 1;
  }

  /** Folds one RTT sample (ns) observed at `nowNs` into the estimate. False if rejected. */
  observe(rttNs: f64, nowNs: i64): bool {
    if (!(rttNs >= 0) || !isFinite(rttNs)) return false;
    const w = Math.exp(-(<f64>elapsedNs(nowNs, this.stampNs)) / this.decayNs);
    if (rttNs > this.costNs) {
      this.costNs += this.peakSensitivity * (rttNs - this.costNs);
    } else {
      this.costNs = w * this.costNs + (1 - w) * rttNs;
    }
    this.stampNs = laterNs(this.stampNs, nowNs);
    return true;
  }

  /** The estimate decayed to `nowNs`, without changing state. */
  costAt(nowNs: i64): f64 {
    return this.costNs * Math.exp(-(<f64>elapsedNs(nowNs, this.stampNs)) / this.decayNs);
  }
}

/**
 * Load of an endpoint for the picker: `rtt × (pending + 1) / weight` — Finagle's and linkerd's
 * load-biaser formula `rtt * (pending + 1)`, divided by our weight in (0, 1] (slow start and
 * fault-prediction both lower the weight, which raises the cost). A weight ≤ 0 or NaN is treated
 * as the smallest weight, never as a division by zero.
 */
export function loadCost(rttNs: f64, pending: i32, weight: f64): f64 {
  const w = weight > 1e-6 ? weight : 1e-6;
  const p = pending > 0 ? pending : 0;
  return (rttNs * <f64>(p + 1)) / w;
}
