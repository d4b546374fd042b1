/**
 * Fault prediction: a per-endpoint trend score in [0, 1] that rises while an endpoint's latency
 * or error rate is climbing, so its weight drops *before* outlier ejection would trigger.
 *
 * Two time-decayed EWMAs per signal, a fast one (τf, default 1 s) and a slow baseline (τs,
 * default 30 s), each updated with `α = 1 − exp(−Δ/τ)` per sample (Δ = time since the previous
 * sample, so the smoothing is in time, not in sample count). Then
 *   latencyScore = clamp01((fastRtt / slowRtt − 1) / (latencyRatioFull − 1))
 *   errorScore   = clamp01((fastErr − slowErr) / errorRateFull)
 *   score(now)   = max(latencyScore, errorScore) · exp(−(now − lastSample) / τf)
 *   weight       = 1 − maxWeightReduction · score
 * A steady endpoint (even a slow one) scores 0: only change counts; the peak-EWMA cost already
 * handles steady slowness. The score fades with the fast time constant once samples stop: a
 * prediction needs fresh evidence, and an endpoint that receives no traffic (because it was
 * penalised) must not stay penalised for ever — that would block its recovery. The first sample
 * initialises both EWMAs. NaN/negative RTTs are ignored; a clock going backwards counts as Δ = 0
 * (the sample has no weight, and the score does not fade backwards).
 */
import { elapsedNs, laterNs, msToNs } from "../../lib/time";
import { AdaptiveLbConfig } from "./config";

/** The trend settings in algorithm units (ns); built from the config by `trendPolicyOf`. */
export class TrendPolicy {
  fastDecayNs: f64 = 0;
  slowDecayNs: f64 = 0;
  latencyRatioFull: f64 = 0;
  errorRateFull: f64 = 0;
  maxWeightReduction: f64 = 0;
}

/** The config's trend fields (ms, the one place defaults are written) as a policy in ns; a
 *  disabled trend reduces no weight. */
export function trendPolicyOf(config: AdaptiveLbConfig): TrendPolicy {
  const t = new TrendPolicy();
  t.fastDecayNs = <f64>msToNs(<f64>config.trendFastDecayMs);
  t.slowDecayNs = <f64>msToNs(<f64>config.trendSlowDecayMs);
  t.latencyRatioFull = config.trendLatencyRatioFull;
  t.errorRateFull = config.trendErrorRateFull;
  t.maxWeightReduction = config.trendEnabled ? config.trendMaxWeightReduction : 0;
  return t;
}

export class TrendTracker {
  fastRttNs: f64 = 0;
  slowRttNs: f64 = 0;
  fastErr: f64 = 0;
  slowErr: f64 = 0;
  stampNs: i64 = 0;
  samples: i64 = 0;

  observe(rttNs: f64, failed: bool, nowNs: i64, policy: TrendPolicy): void {
    if (!(rttNs >= 0) || !isFinite(rttNs)) return;
    const err: f64 = failed ? 1 : 0;
    if (this.samples == 0) {
      this.fastRttNs = rttNs;
      this.slowRttNs = rttNs;
      this.fastErr = err;
      this.slowErr = err;
    } else {
      const dt = <f64>elapsedNs(nowNs, this.stampNs);
      const af = 1 - Math.exp(-dt / policy.fastDecayNs);
      const as = 1 - Math.exp(-dt / policy.slowDecayNs);
      this.fastRttNs += af * (rttNs - this.fastRttNs);
      this.slowRttNs += as * (rttNs - this.slowRttNs);
      this.fastErr += af * (err - this.fastErr);
      this.slowErr += as * (err - this.slowErr);
    }
    this.stampNs = this.samples == 0 ? nowNs : laterNs(this.stampNs, nowNs);
    this.samples++;
  }

  score(policy: TrendPolicy, nowNs: i64): f64 {
    if (this.samples == 0) return 0;
    let latency: f64 = 0;
    if (this.slowRttNs > 0) latency = clamp01((this.fastRttNs / this.slowRttNs - 1) / (policy.latencyRatioFull - 1));
    const error = clamp01((this.fastErr - this.slowErr) / policy.errorRateFull);
    const fade = Math.exp(-(<f64>elapsedNs(nowNs, this.stampNs)) / policy.fastDecayNs);
    return (latency > error ? latency : error) * fade;
  }

  weight(policy: TrendPolicy, nowNs: i64): f64 {
    return 1 - policy.maxWeightReduction * this.score(policy, nowNs);
  }
}

export function clamp01(x: f64): f64 {
  if (!(x > 0)) return 0; // also maps NaN to 0
  return x < 1 ? x : 1;
}
