/**
 * Adaptive concurrency limit: a gradient controller that lowers the number of requests allowed in
 * flight when latency rises above the no-load latency, and raises it while latency stays low.
 *
 * Designs followed:
 * - Envoy `adaptive_concurrency` (gradient controller): a **minRTT** measured in dedicated
 *   windows, during which concurrency is pinned to `minRttConcurrency`, repeated every
 *   `minRttInterval` plus random jitter (so all proxies don't probe at once); between them,
 *   **sample windows** whose RTT percentile drives
 *     gradient = clamp((minRtt · (1 + buffer)) / sampleRtt, 0.5, 2.0)
 *     target   = limit · gradient + sqrt(limit · gradient)          (headroom, as Envoy)
 * - Netflix concurrency-limits `Gradient2Limit`: the new limit is **smoothed**,
 *     limit ← (1 − smoothing) · limit + smoothing · target,
 *   then clamped to [minLimit, maxLimit].
 * How ours differs: gradient2 has no probe (its baseline is a long-term RTT EWMA, which drifts up
 * under sustained overload); Envoy's has no smoothing and uses the last computed limit directly.
 * We take Envoy's probe (an honest baseline) with gradient2's smoothing (fewer oscillations with
 * the small per-worker sample counts a Wasm filter sees). Each Envoy worker runs its own controller
 * over its own samples (the glue shares the in-flight count, not the controller).
 *
 * Units: ns. Samples that are NaN, infinite or negative are ignored. A clock going backwards never
 * ends a window early; a window short of samples is extended, never discarded. Window samples are
 * kept in a fixed buffer (`MAX_SAMPLES`); extra samples in one window overwrite round-robin, which
 * keeps memory bounded and the percentile representative.
 */
import { Rng } from "../../lib/prng";
import { deadlineNs, elapsedNs } from "../../lib/time";

export const MAX_SAMPLES: i32 = 1024;

export class GradientPolicy {
  minLimit: f64 = 4;
  maxLimit: f64 = 1000;
  initialLimit: f64 = 50;
  sampleWindowNs: i64 = 250_000_000;
  minSamplesPerWindow: i32 = 10;
  /** Percentile of window RTTs, in (0, 1]. */
  percentile: f64 = 0.9;
  minRttIntervalNs: i64 = 30_000_000_000;
  /** Extra random delay before each probe, as a fraction of the interval. */
  minRttJitter: f64 = 0.15;
  minRttSamples: i32 = 25;
  minRttConcurrency: i32 = 3;
  /** Latency tolerated above minRTT before the limit shrinks (0.25 = 25%). */
  buffer: f64 = 0.25;
  smoothing: f64 = 0.2;
}

export enum LimiterPhase {
  MeasuringMinRtt = 0,
  Sampling = 1,
}

export class GradientLimiter {
  limit: f64;
  minRttNs: f64 = 0;
  phase: LimiterPhase = LimiterPhase.MeasuringMinRtt;
  lastSampleRttNs: f64 = 0;
  lastGradient: f64 = 1;
  windowStartNs: i64;
  nextProbeNs: i64 = 0;
  updates: i64 = 0;
  private samples: Float64Array = new Float64Array(MAX_SAMPLES);
  private count: i32 = 0;

  constructor(
    public policy: GradientPolicy,
    nowNs: i64,
  ) {
    this.limit = clamp(policy.initialLimit, policy.minLimit, policy.maxLimit);
    this.windowStartNs = nowNs;
  }

  /** Requests allowed in flight now: pinned low while measuring minRTT. */
  currentLimit(): i32 {
    if (this.phase == LimiterPhase.MeasuringMinRtt) return this.policy.minRttConcurrency;
    return <i32>Math.floor(this.limit);
  }

  /** Records one completed request's RTT and advances the controller. */
  onSample(rttNs: f64, nowNs: i64, rng: Rng): void {
    if (!(rttNs >= 0) || !isFinite(rttNs)) return;
    this.samples[this.count % MAX_SAMPLES] = rttNs;
    this.count++;
    if (this.phase == LimiterPhase.MeasuringMinRtt) {
      if (this.count >= this.policy.minRttSamples) this.finishProbe(nowNs, rng);
      return;
    }
    this.tick(nowNs);
  }

  /**
   * Closes the sample window if it is over and holds `minSamplesPerWindow` samples (also callable
   * from a timer). True if it updated. A window with fewer samples stays open until it has them:
   * an upstream that slows down also slows the sample rate of a closed-loop client, and dropping
   * such windows would blind the controller exactly when the limit must fall (seen in the e2e
   * test through real Envoy).
   */
  tick(nowNs: i64): bool {
    if (this.phase != LimiterPhase.Sampling) return false;
    if (elapsedNs(nowNs, this.windowStartNs) < this.policy.sampleWindowNs) return false;
    if (this.count < this.policy.minSamplesPerWindow) return false;
    this.update(this.windowPercentile());
    this.resetWindow(nowNs);
    if (nowNs >= this.nextProbeNs) this.phase = LimiterPhase.MeasuringMinRtt;
    return true;
  }

  /** One gradient step from a window's RTT (ns); exposed for tests that pin the maths. */
  update(sampleRttNs: f64): void {
    const p = this.policy;
    this.lastSampleRttNs = sampleRttNs;
    const g = sampleRttNs > 0 ? (this.minRttNs * (1 + p.buffer)) / sampleRttNs : 2;
    this.lastGradient = clamp(g, 0.5, 2);
    const scaled = this.limit * this.lastGradient;
    const target = scaled + Math.sqrt(scaled);
    this.limit = clamp((1 - p.smoothing) * this.limit + p.smoothing * target, p.minLimit, p.maxLimit);
    this.updates++;
  }

  private finishProbe(nowNs: i64, rng: Rng): void {
    this.minRttNs = this.windowPercentile();
    this.phase = LimiterPhase.Sampling;
    const jitter = <f64>this.policy.minRttIntervalNs * this.policy.minRttJitter * rng.nextFloat();
    this.nextProbeNs = deadlineNs(nowNs, this.policy.minRttIntervalNs + <i64>jitter);
    this.resetWindow(nowNs);
  }

  private resetWindow(nowNs: i64): void {
    this.count = 0;
    this.windowStartNs = nowNs;
  }

  /** Nearest-rank percentile of the samples in the window (sorted copy; only at window end). */
  private windowPercentile(): f64 {
    const n = this.count < MAX_SAMPLES ? this.count : MAX_SAMPLES;
    if (n == 0) return 0;
    const sorted = this.samples.slice(0, n);
    sorted.sort();
    let rank = <i32>Math.ceil(this.policy.percentile * <f64>n) - 1;
    if (rank < 0) rank = 0;
    if (rank >= n) rank = n - 1;
    return sorted[rank];
  }
}

export function clamp(x: f64, lo: f64, hi: f64): f64 {
  if (!(x >= lo)) return lo; // also maps NaN to lo
  return x < hi ? x : hi;
}
