// The in-memory risk store (the default, and the Redis store's fallback): per-process, bounded by
// `maxEntries` per map, idle entries expired by TTL. Same semantics as redis-store.ts's Lua scripts.
import { ExpiringLru } from "./expiring-lru.ts";
import {
  type EventState,
  type EventTarget,
  emptySnapshot,
  eventTtlMs,
  type GeoPoint,
  mergeEventState,
  type Observation,
  type RiskStore,
  type Snapshot,
  type StoreLimits,
} from "./types.ts";

interface Profile {
  /** bucket index → requests */
  rate: Map<number, number>;
  /** fingerprint → last seen ms, least recently seen first */
  devices: Map<string, number>;
  location: (GeoPoint & { atMs: number }) | null;
  hours: number[];
}

/** Drops timestamps at or before `sinceMs` (the log is sorted) and keeps at most `max` newest. */
function trimLog(log: number[], sinceMs: number, max: number): void {
  let drop = 0;
  while (drop < log.length && (log[drop] as number) <= sinceMs) drop++;
  drop = Math.max(drop, log.length - max);
  if (drop > 0) log.splice(0, drop);
}

function countSince(log: number[] | undefined, sinceMs: number): number {
  if (log === undefined) return 0;
  let n = 0;
  for (let i = log.length - 1; i >= 0 && (log[i] as number) > sinceMs; i--) n++;
  return n;
}

export class MemoryStore implements RiskStore {
  private readonly principalFailures: ExpiringLru<string, number[]>;
  private readonly ipFailures: ExpiringLru<string, number[]>;
  private readonly profiles: ExpiringLru<string, Profile>;
  private readonly events: ExpiringLru<string, EventState>;

  constructor(
    private readonly limits: StoreLimits,
    maxEntries = 100_000,
  ) {
    this.principalFailures = new ExpiringLru(maxEntries);
    this.ipFailures = new ExpiringLru(maxEntries);
    this.profiles = new ExpiringLru(maxEntries);
    this.events = new ExpiringLru(maxEntries);
  }

  /** Synchronous core of `observe`, used directly by the fallback store. */
  observeNow(o: Observation): Snapshot {
    const L = this.limits;
    const now = o.nowMs;
    const s = emptySnapshot();
    if (o.principal !== null) {
      s.principalFailures = countSince(this.principalFailures.get(o.principal, now), now - L.principalFailureWindowMs);
      let p = this.profiles.get(o.principal, now);
      if (p === undefined)
        p = { rate: new Map(), devices: new Map(), location: null, hours: new Array<number>(24).fill(0) };
      const bucket = Math.floor(now / L.rateBucketMs);
      p.rate.set(bucket, (p.rate.get(bucket) ?? 0) + 1);
      // Keys are mostly ascending (insertion order), so the scan usually stops at the first key.
      for (const index of p.rate.keys()) {
        if (index < bucket - L.rateHistoryBuckets) p.rate.delete(index);
        else if (index <= bucket) break;
      }
      s.rateBuckets = p.rate;
      s.knownFingerprints = p.devices.size;
      if (o.fingerprint !== null) {
        s.fingerprintKnown = p.devices.has(o.fingerprint);
        p.devices.delete(o.fingerprint);
        p.devices.set(o.fingerprint, now);
        if (p.devices.size > L.maxFingerprints) p.devices.delete(p.devices.keys().next().value as string);
      }
      s.lastLocation = p.location;
      if (o.location !== null) p.location = { ...o.location, atMs: now };
      if (o.hour !== null) p.hours[o.hour] = (p.hours[o.hour] ?? 0) + 1;
      s.hours = p.hours;
      this.profiles.set(o.principal, p, now, L.profileTtlMs);
      s.subjectEvents = this.events.get(`subject:${o.principal}`, now) ?? null;
    }
    if (o.ip !== null) s.ipFailures = countSince(this.ipFailures.get(o.ip, now), now - L.ipFailureWindowMs);
    if (o.session !== null) s.sessionEvents = this.events.get(`session:${o.session}`, now) ?? null;
    if (o.token !== null) s.tokenEvents = this.events.get(`token:${o.token}`, now) ?? null;
    return s;
  }

  observe(o: Observation): Promise<Snapshot> {
    return Promise.resolve(this.observeNow(o));
  }

  recordFailureNow(principal: string | null, ip: string | null, nowMs: number): void {
    const L = this.limits;
    const add = (map: ExpiringLru<string, number[]>, key: string, windowMs: number) => {
      const log = map.get(key, nowMs) ?? [];
      // Keep the log sorted even if callers' clocks step back a little.
      let at = log.length;
      while (at > 0 && (log[at - 1] as number) > nowMs) at--;
      log.splice(at, 0, nowMs);
      trimLog(log, nowMs - windowMs, L.maxFailuresPerKey);
      map.set(key, log, nowMs, windowMs);
    };
    if (principal !== null) add(this.principalFailures, principal, L.principalFailureWindowMs);
    if (ip !== null) add(this.ipFailures, ip, L.ipFailureWindowMs);
  }

  recordFailure(principal: string | null, ip: string | null, nowMs: number): Promise<void> {
    this.recordFailureNow(principal, ip, nowMs);
    return Promise.resolve();
  }

  applyEventNow(target: EventTarget, update: EventState, nowMs: number): void {
    const key = `${target.kind}:${target.id}`;
    this.events.set(
      key,
      mergeEventState(this.events.get(key, nowMs), update),
      nowMs,
      eventTtlMs(update, nowMs, this.limits),
    );
  }

  applyEvent(target: EventTarget, update: EventState, nowMs: number): Promise<void> {
    this.applyEventNow(target, update, nowMs);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
