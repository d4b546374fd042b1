// The shared risk store on Redis (ioredis): every replica of the authz server sees the same failure
// counts, profiles and security events. Observations are batched: every check that reaches the
// store within one event-loop turn goes out in one EVALSHA (redis-scripts.ts), so under load the
// round trip, its syscalls and the client's per-command work are shared by many checks, while a
// lone check still costs one round trip. Reads are never stale: each check's snapshot is read from
// Redis after the check started, in the same atomic script that records it, so an event or a
// failure stored before the check began is always seen by it. This class lets Redis errors
// through; fallback-store.ts turns them into local degradation.
import type { Redis } from "ioredis";
import { isRiskLevel } from "../types.ts";
import { APPLY_EVENT_LUA, OBSERVE_KEYS, OBSERVE_LUA, RECORD_FAILURE_LUA } from "./redis-scripts.ts";
import {
  type EventState,
  type EventTarget,
  eventTtlMs,
  type Observation,
  type RiskStore,
  type Snapshot,
  type StoreLimits,
} from "./types.ts";

type Reply = Array<number | string | string[]>;

interface ScriptedRedis {
  /** numkeys, keys..., count, args... */
  mwRiskObserve(...args: string[]): Promise<Reply[]>;
  mwRiskRecordFailure(...args: string[]): Promise<number>;
  mwRiskApplyEvent(...args: string[]): Promise<number>;
}

export interface RedisStoreOptions {
  /** Prefix of every key (default `mw:risk:`), so several deployments can share one Redis. */
  keyPrefix?: string;
  /** Makes failure-log members unique across replicas (default: random). */
  replicaId?: string;
}

function pairs(flat: unknown): string[] {
  return Array.isArray(flat) ? (flat as string[]) : [];
}

function eventState(flat: unknown): EventState | null {
  const f = pairs(flat);
  if (f.length === 0) return null;
  const state: EventState = {};
  for (let i = 0; i + 1 < f.length; i += 2) {
    const [k, v] = [f[i], f[i + 1] as string];
    if (k === "revokedAtMs") state.revokedAtMs = Number(v);
    else if (k === "credentialChangedAtMs") state.credentialChangedAtMs = Number(v);
    else if (k === "riskLevel" && isRiskLevel(v)) state.riskLevel = v;
    else if (k === "riskLevelUntilMs") state.riskLevelUntilMs = Number(v);
  }
  return state;
}

/** Decodes "atMs|lat|lon|country" (country last: it may contain anything). */
function location(text: unknown): Snapshot["lastLocation"] {
  if (typeof text !== "string" || text === "") return null;
  const parts = text.split("|");
  if (parts.length < 4) return null;
  return { atMs: Number(parts[0]), lat: Number(parts[1]), lon: Number(parts[2]), country: parts.slice(3).join("|") };
}

/** The state one observation's script entry returned, as a Snapshot. */
function snapshotOf(reply: Reply): Snapshot {
  const rate = pairs(reply[2]);
  const sorted: Array<[number, number]> = [];
  for (let i = 0; i + 1 < rate.length; i += 2) sorted.push([Number(rate[i]), Number(rate[i + 1])]);
  const rateBuckets = new Map(sorted.sort((a, b) => a[0] - b[0]));
  const hours = new Array<number>(24).fill(0);
  const h = pairs(reply[6]);
  for (let i = 0; i + 1 < h.length; i += 2) hours[Number(h[i])] = Number(h[i + 1]);
  return {
    principalFailures: Number(reply[0]),
    ipFailures: Number(reply[1]),
    rateBuckets,
    fingerprintKnown: Number(reply[3]) === 1,
    knownFingerprints: Number(reply[4]),
    lastLocation: location(reply[5]),
    hours,
    subjectEvents: eventState(reply[7]),
    sessionEvents: eventState(reply[8]),
    tokenEvents: eventState(reply[9]),
  };
}

/** Observations waiting for the end of the event-loop turn. */
interface ObserveBatch {
  keys: string[];
  args: string[];
  waiters: Array<{ resolve(snapshot: Snapshot): void; reject(err: unknown): void }>;
}

/** Observations per EVALSHA at most (a burst beyond it is split). */
const MAX_BATCH = 128;

export class RedisStore implements RiskStore {
  private readonly prefix: string;
  private readonly replicaId: string;
  private sequence = 0;
  private readonly scripts: ScriptedRedis;
  private batch: ObserveBatch | undefined;

  constructor(
    readonly redis: Redis,
    private readonly limits: StoreLimits,
    options: RedisStoreOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? "mw:risk:";
    this.replicaId = options.replicaId ?? Math.random().toString(36).slice(2, 10);
    redis.defineCommand("mwRiskObserve", { lua: OBSERVE_LUA }); // numkeys varies with the batch
    redis.defineCommand("mwRiskRecordFailure", { numberOfKeys: 2, lua: RECORD_FAILURE_LUA });
    redis.defineCommand("mwRiskApplyEvent", { numberOfKeys: 1, lua: APPLY_EVENT_LUA });
    this.scripts = redis as unknown as ScriptedRedis;
  }

  /** Key of one piece of state; the one-letter tag keeps kinds apart whatever the id contains. */
  key(tag: string, id: string | null): string {
    return `${this.prefix}${tag}:${id ?? ""}`;
  }

  observe(o: Observation): Promise<Snapshot> {
    let batch = this.batch;
    if (batch === undefined) {
      batch = { keys: [], args: [], waiters: [] };
      this.batch = batch;
      setImmediate(() => this.flush(batch as ObserveBatch));
    }
    this.append(batch, o);
    const pending = new Promise<Snapshot>((resolve, reject) =>
      (batch as ObserveBatch).waiters.push({ resolve, reject }),
    );
    if (batch.waiters.length >= MAX_BATCH) this.flush(batch);
    return pending;
  }

  private append(batch: ObserveBatch, o: Observation): void {
    const L = this.limits;
    const p = o.principal;
    const flag = (v: unknown) => (v === null ? "0" : "1");
    batch.keys.push(
      this.key("fp", p),
      this.key("fi", o.ip),
      this.key("r", p),
      this.key("d", p),
      this.key("l", p),
      this.key("h", p),
      this.key("es", p),
      this.key("en", o.session),
      this.key("et", o.token),
    );
    batch.args.push(
      String(o.nowMs),
      flag(p),
      flag(o.ip),
      String(L.principalFailureWindowMs),
      String(L.ipFailureWindowMs),
      String(Math.floor(o.nowMs / L.rateBucketMs)),
      String(L.rateHistoryBuckets),
      String(L.profileTtlMs),
      o.fingerprint ?? "",
      String(L.maxFingerprints),
      o.location === null ? "" : `${o.location.lat}|${o.location.lon}|${o.location.country}`,
      o.hour === null ? "" : String(o.hour),
      flag(o.session),
      flag(o.token),
      String((L.rateHistoryBuckets + 1) * L.rateBucketMs),
    );
  }

  /** Sends `batch` (once: a full batch is sent at once, the turn's end then finds it gone). */
  private flush(batch: ObserveBatch): void {
    if (this.batch !== batch) return;
    this.batch = undefined;
    const n = batch.waiters.length;
    this.scripts.mwRiskObserve(String(n * OBSERVE_KEYS), ...batch.keys, String(n), ...batch.args).then(
      (replies) => {
        for (let i = 0; i < n; i++) {
          const waiter = batch.waiters[i] as ObserveBatch["waiters"][number];
          try {
            waiter.resolve(snapshotOf(replies[i] as Reply));
          } catch (err) {
            waiter.reject(err);
          }
        }
      },
      (err) => {
        for (const waiter of batch.waiters) waiter.reject(err);
      },
    );
  }

  async recordFailure(principal: string | null, ip: string | null, nowMs: number): Promise<void> {
    const L = this.limits;
    this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER;
    await this.scripts.mwRiskRecordFailure(
      this.key("fp", principal),
      this.key("fi", ip),
      String(nowMs),
      principal === null ? "0" : "1",
      ip === null ? "0" : "1",
      String(L.principalFailureWindowMs),
      String(L.ipFailureWindowMs),
      String(L.maxFailuresPerKey),
      `${nowMs}:${this.replicaId}:${this.sequence}`,
    );
  }

  async applyEvent(target: EventTarget, update: EventState, nowMs: number): Promise<void> {
    const tag = target.kind === "subject" ? "es" : target.kind === "session" ? "en" : "et";
    const opt = (v: number | string | undefined) => (v === undefined ? "" : String(v));
    await this.scripts.mwRiskApplyEvent(
      this.key(tag, target.id),
      opt(update.revokedAtMs),
      opt(update.credentialChangedAtMs),
      opt(update.riskLevel),
      opt(update.riskLevelUntilMs),
      String(eventTtlMs(update, nowMs, this.limits)),
    );
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
