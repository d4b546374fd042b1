// Where a request's charges are decided: on Redis while it answers in time, else by the domain's
// failure mode, and never later than the request's deadline.
//
// - shared: the Redis script decides. The call is bounded by the Redis timeout and by the gRPC
//   deadline (Envoy's ratelimit filter sends 20 ms by default) less a margin for the reply; a
//   reply that does not come in time, or an error, switches this replica to `local` at once.
// - local: no Redis call; each domain's failure mode decides: `failure_mode_deny: true` refuses
//   every enforced limited descriptor (Retry-After 1 s), otherwise this replica's own buckets
//   decide, each with `fallback_share` of the limit (1/replicas keeps the mesh-wide total close to
//   the limit when Envoys spread over the replicas evenly).
// - back to shared when a PING succeeds: probed every `probeIntervalMs` while local, and on every
//   reconnection of the client. Buckets start over from Redis's state (charges made locally meanwhile
//   are not replayed: a rate limit's state is only worth its last few seconds).
//
// A command that timed out may still run on Redis later and charge the bucket there as well as
// locally: the error is on the refusing side.

import type { MemoryRateStore } from "./memory-store.ts";
import type { RedisRateStore } from "./redis-store.ts";
import type { CompiledDomain } from "./rules.ts";
import type { Charge, ChargeResult } from "./store.ts";

export type DecisionSource = "memory" | "redis" | "local" | "deny";

export interface StoreDecision {
  readonly results: ChargeResult[];
  readonly source: DecisionSource;
}

/** What the service asks: decide these charges of one domain before `deadlineMs` (monotonic). */
export interface RateDecider {
  decide(domain: CompiledDomain, charges: readonly Charge[], deadlineMs: number | undefined): Promise<StoreDecision>;
  /** Drops local state of rules no longer configured. */
  retain(ruleKeys: ReadonlySet<string>): void;
  status(): { store: "memory" | "shared" | "local" };
  close(): Promise<void>;
}

/** Single replica: the process's own buckets, no failure mode needed. */
export class MemoryDecider implements RateDecider {
  constructor(private readonly memory: MemoryRateStore) {}

  async decide(domain: CompiledDomain, charges: readonly Charge[]): Promise<StoreDecision> {
    return { results: await this.memory.charge(domain.domain, charges), source: "memory" };
  }

  retain(ruleKeys: ReadonlySet<string>): void {
    this.memory.retain(ruleKeys);
  }

  status(): { store: "memory" } {
    return { store: "memory" };
  }

  close(): Promise<void> {
    return this.memory.close();
  }
}

export type FallbackReason = "unavailable" | "timeout" | "error";

export interface FailoverHooks {
  /** Once per transition, with the reason (a log line and a gauge). */
  onModeChange?(mode: "shared" | "local", reason: string): void;
  /** Every request decided without Redis: by the local buckets or refused (a counter). */
  onFallback?(domain: string, decidedBy: "local" | "deny", reason: FallbackReason): void;
  /** Seconds a Redis call took (successful ones). */
  onRedisLatency?(seconds: number): void;
}

export interface FailoverOptions {
  /** Longest wait for Redis per request, ms. */
  timeoutMs: number;
  /** Time kept free before the gRPC deadline for answering, ms. */
  deadlineMarginMs?: number;
  /** PING interval while local, ms. */
  probeIntervalMs?: number;
  /** Processes of one replica deciding alone side by side (workers): each takes
   *  `fallback_share / shareDivisor` of a limit, the replica as a whole its `fallback_share`. */
  shareDivisor?: number;
  hooks?: FailoverHooks;
  monotonicMs?: () => number;
}

/** Refused by `failure_mode_deny`: the client may retry in a second. */
const DENIED: ChargeResult = { admitted: false, remaining: 0, resetUs: 1e6, retryUs: 1e6, overflow: false };
const UNKNOWN_OK: ChargeResult = { admitted: true, remaining: 0, resetUs: 0, retryUs: 0, overflow: false };

class Timeout extends Error {}

/** A charge with the local fallback's share of its limit: rate × share, burst × share (≥ 1). */
function shareOf(charge: Charge, share: number): Charge {
  if (share === 1) return charge;
  const intervalUs = charge.limit.intervalUs / share;
  const burst = Math.max(1, (charge.limit.toleranceUs / charge.limit.intervalUs) * share);
  return { ...charge, limit: { intervalUs, toleranceUs: burst * intervalUs } };
}

export class FailoverDecider implements RateDecider {
  private mode: "shared" | "local" = "local";
  private probe: NodeJS.Timeout | null = null;
  private probing = false;
  private closed = false;
  private readonly margin: number;
  private readonly monotonicMs: () => number;

  constructor(
    private readonly redis: RedisRateStore,
    private readonly local: MemoryRateStore,
    private readonly options: FailoverOptions,
  ) {
    this.margin = options.deadlineMarginMs ?? 2;
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    const client = redis.redis;
    client.on("ready", () => void this.tryResume("redis ready"));
    client.on("error", (err: Error) => this.degrade(`redis error: ${err.message}`));
    client.on("close", () => this.degrade("redis connection closed"));
    if (client.status === "ready") void this.tryResume("redis ready");
    else this.startProbe();
  }

  status(): { store: "shared" | "local" } {
    return { store: this.mode };
  }

  retain(ruleKeys: ReadonlySet<string>): void {
    this.local.retain(ruleKeys);
  }

  async decide(
    domain: CompiledDomain,
    charges: readonly Charge[],
    deadlineMs: number | undefined,
  ): Promise<StoreDecision> {
    if (this.mode !== "shared") return this.fallback(domain, charges, "unavailable");
    const now = this.monotonicMs();
    let budget = this.options.timeoutMs;
    if (deadlineMs !== undefined) budget = Math.min(budget, deadlineMs - this.margin - now);
    if (budget < 1) return this.fallback(domain, charges, "timeout");
    try {
      const results = await this.bounded(this.redis.charge(domain.domain, charges), budget);
      this.options.hooks?.onRedisLatency?.((this.monotonicMs() - now) / 1000);
      return { results, source: "redis" };
    } catch (err) {
      const reason: FallbackReason = err instanceof Timeout ? "timeout" : "error";
      this.degrade(
        reason === "timeout" ? `redis reply slower than ${Math.round(budget)} ms` : `redis: ${(err as Error).message}`,
      );
      return this.fallback(domain, charges, reason);
    }
  }

  private fallback(domain: CompiledDomain, charges: readonly Charge[], reason: FallbackReason): StoreDecision {
    if (domain.failureModeDeny) {
      this.options.hooks?.onFallback?.(domain.domain, "deny", reason);
      return { results: charges.map((c) => (c.enforce ? DENIED : UNKNOWN_OK)), source: "deny" };
    }
    this.options.hooks?.onFallback?.(domain.domain, "local", reason);
    const scaled = charges.map((c) => shareOf(c, domain.fallbackShare / (this.options.shareDivisor ?? 1)));
    return { results: this.local.chargeNow(domain.domain, scaled, this.local.clock()), source: "local" };
  }

  /**
   * `pending`, or a Timeout after `budgetMs` (the command itself is left to finish or fail). The
   * timer's rejection waits one turn of the event loop (setImmediate): if this process itself was
   * stalled (GC, a busy CPU), the timer and the reply are due together, and the reply, already in
   * the socket buffer, is read in that turn and wins. Only a Redis that really did not answer
   * times out.
   */
  private bounded<T>(pending: Promise<T>, budgetMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => setImmediate(() => reject(new Timeout())), budgetMs);
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  private degrade(reason: string): void {
    if (this.closed) return;
    this.startProbe();
    if (this.mode === "local") return;
    this.mode = "local";
    this.options.hooks?.onModeChange?.("local", reason);
  }

  private startProbe(): void {
    if (this.probe !== null || this.closed) return;
    this.probe = setInterval(() => void this.tryResume("redis answers again"), this.options.probeIntervalMs ?? 250);
    this.probe.unref();
  }

  private async tryResume(reason: string): Promise<void> {
    if (this.probing || this.closed || this.redis.redis.status !== "ready") return;
    this.probing = true;
    try {
      await this.bounded(this.redis.redis.ping(), Math.max(1, this.options.timeoutMs - 1));
    } catch {
      return; // still unavailable: the next probe or `ready` tries again
    } finally {
      this.probing = false;
    }
    if (this.probe !== null) clearInterval(this.probe);
    this.probe = null;
    if (this.mode === "shared") return;
    this.mode = "shared";
    this.options.hooks?.onModeChange?.("shared", reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probe !== null) clearInterval(this.probe);
    this.probe = null;
    await Promise.all([this.redis.close(), this.local.close()]);
  }
}
