/**
 * Glue: the adaptive concurrency limit and priority shedding around one worker's streams.
 *
 * Admission: the request's priority class i (`lib/priority.ts`) may start while the in-flight count
 * of ALL workers (`in-flight.ts`) is below ceil(limit · share_i); the limit comes from this worker's
 * gradient controller (`lib/concurrency-limiter.ts`). So the lowest class is refused first
 * (reason `priority:<class>`) and the top class (share 1) only when the whole limit is in use
 * (reason `concurrency-limit`).
 *
 * Samples: the time from admission to the response headers, fed to the controller once per stream.
 * Slots: released exactly once per admitted stream, on the first of on_log / on_delete
 * (`finished`), whatever ended the stream (response, reset, another filter's local reply).
 *
 * Shared-data failure while admitting: failureMode `deny` refuses (reason `shared-data-failure`);
 * `allow` and `local` admit without a slot (nothing to release).
 */
import { Rng } from "../lib/prng";
import { InFlightCounter } from "./in-flight";
import { GradientLimiter } from "./lib/concurrency-limiter";
import { TrafficShaperConfig } from "./lib/config";
import { admitByPriority, classCeiling, classify } from "./lib/priority";
import { RequestAttributes } from "./lib/request";
import { ShaperMetrics } from "./shaper-metrics";

class Admitted {
  constructor(
    public startNs: i64,
    public sampled: bool,
  ) {}
}

export class ConcurrencyGate {
  limiter: GradientLimiter;
  counter: InFlightCounter;
  private streams: Map<u32, Admitted> = new Map<u32, Admitted>();
  private lastLimit: i32 = -1;

  constructor(
    public config: TrafficShaperConfig,
    public metrics: ShaperMetrics,
    nowNs: i64,
    public rng: Rng,
  ) {
    this.limiter = new GradientLimiter(config.concurrency.toGradientPolicy(), nowNs);
    this.counter = new InFlightCounter(config.casRetries, metrics.inFlight);
  }

  /** Creates the shared in-flight counter (configure time) and publishes the initial limit. */
  seed(): void {
    this.counter.seed();
    this.publishLimit();
  }

  /** "" when the stream may start (it then holds a slot), else the refusal reason. */
  admit(contextId: u32, req: RequestAttributes, nowNs: i64): string {
    const classes = this.config.priorities;
    const cls = classify(classes, req);
    const share = cls < 0 ? 1.0 : classes[cls].share;
    const m = this.metrics.classes[cls < 0 ? 0 : cls];
    const limit = this.limiter.currentLimit();
    const r = this.counter.tryAcquire(<i64>classCeiling(limit, share));
    if (r.admitted) {
      this.streams.set(contextId, new Admitted(nowNs, false));
      m.admitted.increment(1);
      return "";
    }
    if (r.failed) {
      this.metrics.sharedDataFailures.increment(1);
      if (this.config.failureMode != "deny") {
        m.admitted.increment(1);
        return "";
      }
      m.shed.increment(1);
      return "shared-data-failure";
    }
    m.shed.increment(1);
    // Refused below the full limit: the class ceiling, i.e. shed for priority.
    const inFlight = r.inFlight > <i64>i32.MAX_VALUE ? i32.MAX_VALUE : <i32>r.inFlight;
    if (share < 1.0 && admitByPriority(inFlight, limit, 1.0)) return "priority:" + classes[cls].name;
    return "concurrency-limit";
  }

  /** Response headers arrived: one RTT sample per admitted stream. */
  responded(contextId: u32, nowNs: i64): void {
    if (!this.streams.has(contextId)) return;
    const a = this.streams.get(contextId);
    if (a.sampled) return;
    a.sampled = true;
    this.limiter.onSample(<f64>(nowNs - a.startNs), nowNs, this.rng);
    this.publishLimit();
  }

  /** The stream ended (on_log / on_delete): releases its slot once. */
  finished(contextId: u32): void {
    if (!this.streams.has(contextId)) return;
    this.streams.delete(contextId);
    this.counter.release();
  }

  tick(nowNs: i64): void {
    this.limiter.tick(nowNs);
    this.publishLimit();
  }

  /** Streams of this worker holding a slot. */
  held(): i32 {
    return this.streams.size;
  }

  private publishLimit(): void {
    const limit = this.limiter.currentLimit();
    if (limit == this.lastLimit) return;
    this.lastLimit = limit;
    this.metrics.concurrencyLimit.record(<u64>limit);
  }
}
