// Shared state on Redis with local degradation: while Redis answers, every call goes to it; when it
// does not (down, restarting, slow beyond the command timeout), the call is served by a per-process
// MemoryStore instead and never fails. ioredis reconnects by itself (capped exponential backoff);
// on `ready` the shared state is used again and what happened meanwhile is replayed:
// security events and failures recorded during the outage (bounded queue, oldest dropped first).
//
// What degrades: during an outage each replica only knows its own recent history; a revocation
// applied at another replica reaches this one when Redis is back (it is replayed by the replica
// that received it). A write that timed out on a stalled (not dead) Redis may still be executed by
// it later and is also replayed: a failure can then count twice, which errs on the cautious side.
// Counters and state changes go to `hooks` (a metric and a log line for the server).
import { Redis, type RedisOptions } from "ioredis";
import { MemoryStore } from "./memory-store.ts";
import { RedisStore, type RedisStoreOptions } from "./redis-store.ts";
import type { EventState, EventTarget, Observation, RiskStore, Snapshot, StoreLimits } from "./types.ts";

export type StoreMode = "shared" | "local";
type Operation = "observe" | "recordFailure" | "applyEvent";

export interface FallbackHooks {
  /** Called once per transition, with the reason (for a log line). */
  onModeChange?(mode: StoreMode, reason: string): void;
  /** Called for each operation served locally because Redis was unavailable (for a counter). */
  onFallback?(operation: Operation): void;
}

export interface FallbackStats {
  mode: StoreMode;
  sharedCalls: number;
  fallbacks: number;
  replayed: number;
  dropped: number;
}

const REPLAY_LIMIT = 10_000;

type Pending = (store: RedisStore) => Promise<void>;

export class FallbackStore implements RiskStore {
  private mode: StoreMode = "local";
  private resuming = false;
  private closed = false;
  private probe: NodeJS.Timeout | null = null;
  private readonly pending: Pending[] = [];
  private readonly counters = { sharedCalls: 0, fallbacks: 0, replayed: 0, dropped: 0 };

  /**
   * `probeIntervalMs`: while degraded but connected (e.g. after command timeouts on a stalled
   * server, where no new `ready` event will come), how often to PING and try to resume.
   */
  constructor(
    private readonly shared: RedisStore,
    readonly local: MemoryStore,
    private readonly hooks: FallbackHooks = {},
    private readonly probeIntervalMs = 1000,
  ) {
    const redis = shared.redis;
    redis.on("ready", () => void this.resume());
    redis.on("error", (err: Error) => this.degrade(`redis error: ${err.message}`));
    redis.on("close", () => this.degrade("redis connection closed"));
    if (redis.status === "ready") void this.resume();
  }

  /** The ioredis client (for health checks and the benchmark's command counting). */
  get redis(): Redis {
    return this.shared.redis;
  }

  stats(): FallbackStats {
    return { mode: this.mode, ...this.counters };
  }

  private degrade(reason: string): void {
    if (this.closed) return;
    if (this.probe === null) {
      this.probe = setInterval(() => {
        if (this.shared.redis.status === "ready") void this.resume();
      }, this.probeIntervalMs);
      this.probe.unref();
    }
    if (this.mode === "local") return;
    this.mode = "local";
    this.hooks.onModeChange?.("local", reason);
  }

  /** PINGs, replays the queue in order, then switches to shared; on any failure stays local. */
  private async resume(): Promise<void> {
    if (this.resuming) return;
    this.resuming = true;
    let replayed = 0;
    try {
      await this.shared.redis.ping();
      while (this.pending.length > 0) {
        await (this.pending[0] as Pending)(this.shared);
        this.pending.shift();
        replayed++;
      }
    } catch {
      return; // still unavailable: the probe or the next `ready` retries
    } finally {
      this.counters.replayed += replayed;
      this.resuming = false;
    }
    if (this.probe !== null) clearInterval(this.probe);
    this.probe = null;
    if (this.mode === "shared") return;
    this.mode = "shared";
    this.hooks.onModeChange?.("shared", `redis ready${replayed > 0 ? `, ${replayed} queued updates replayed` : ""}`);
  }

  private usable(): boolean {
    return this.mode === "shared" && this.shared.redis.status === "ready";
  }

  private fallback(operation: Operation, err?: unknown): void {
    if (err !== undefined) this.degrade(`redis ${operation} failed: ${(err as Error).message}`);
    this.counters.fallbacks++;
    this.hooks.onFallback?.(operation);
  }

  private queue(op: Pending): void {
    if (this.pending.length >= REPLAY_LIMIT) {
      this.pending.shift();
      this.counters.dropped++;
    }
    this.pending.push(op);
  }

  /** Runs `call` on Redis when usable; null (the fallback counted) when it is not, or it fails. */
  private async onShared<T>(
    operation: Operation,
    call: (store: RedisStore) => Promise<T>,
  ): Promise<{ value: T } | null> {
    if (!this.usable()) {
      this.fallback(operation);
      return null;
    }
    try {
      const value = await call(this.shared);
      this.counters.sharedCalls++;
      return { value };
    } catch (err) {
      this.fallback(operation, err);
      return null;
    }
  }

  async observe(o: Observation): Promise<Snapshot> {
    const shared = await this.onShared("observe", (s) => s.observe(o));
    return shared === null ? this.local.observeNow(o) : shared.value;
  }

  async recordFailure(principal: string | null, ip: string | null, nowMs: number): Promise<void> {
    if (await this.onShared("recordFailure", (s) => s.recordFailure(principal, ip, nowMs))) return;
    this.local.recordFailureNow(principal, ip, nowMs);
    this.queue((s) => s.recordFailure(principal, ip, nowMs));
  }

  /** Events always take effect locally at once, and in Redis now or on reconnection. */
  async applyEvent(target: EventTarget, update: EventState, nowMs: number): Promise<void> {
    this.local.applyEventNow(target, update, nowMs);
    if (await this.onShared("applyEvent", (s) => s.applyEvent(target, update, nowMs))) return;
    this.queue((s) => s.applyEvent(target, update, nowMs));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probe !== null) clearInterval(this.probe);
    this.probe = null;
    await this.shared.close();
  }
}

export interface RedisRiskStoreOptions extends RedisStoreOptions {
  url: string;
  limits: StoreLimits;
  maxEntries?: number;
  /** A command not answered within this many ms fails over to local state (default 100). */
  commandTimeoutMs?: number;
  /** Longest wait between reconnection attempts, ms (default 1000). */
  maxReconnectDelayMs?: number;
  hooks?: FallbackHooks;
  /** Extra ioredis options (e.g. password, TLS). */
  redis?: RedisOptions;
}

/**
 * A Redis-backed store that never fails a call: the ioredis client is set up to fail fast instead of
 * queueing (no offline queue, no per-request retries, no resending after a reconnect) and to
 * reconnect for ever with backoff 50 ms · 2^attempt capped at `maxReconnectDelayMs`.
 */
export function createRedisRiskStore(options: RedisRiskStoreOptions): FallbackStore {
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const redis = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 100,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay),
    ...options.redis,
  });
  const shared = new RedisStore(redis, options.limits, options);
  return new FallbackStore(shared, new MemoryStore(options.limits, options.maxEntries), options.hooks);
}
