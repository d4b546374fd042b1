// The risk state store: one interface, two implementations (memory-store.ts, redis-store.ts) and a
// wrapper that degrades from Redis to local state (fallback-store.ts).
//
// The contract is shaped so that one check costs exactly one store call (one Redis round trip):
// `observe` records this request and returns, atomically, the state the signals need. The maths
// (EWMA, great-circle speed, shares) stays in the signals; a store only counts, remembers and expires.
import type { RiskLevel } from "../types.ts";

/** Store-wide limits, derived once from the risk config (see `storeLimitsFrom` in config.ts). */
export interface StoreLimits {
  /** Sliding window of the failed-auth count per principal, ms. */
  principalFailureWindowMs: number;
  /** Sliding window of the failed-auth count per source IP, ms. */
  ipFailureWindowMs: number;
  /** Failure timestamps kept per key at most (older ones are dropped first). */
  maxFailuresPerKey: number;
  /** Width of one request-rate bucket, ms. */
  rateBucketMs: number;
  /** Completed buckets of history kept per principal. */
  rateHistoryBuckets: number;
  /** Device fingerprints kept per principal (least recently seen evicted). */
  maxFingerprints: number;
  /** Idle time after which a principal's profile (rate, devices, location, hours) is forgotten, ms. */
  profileTtlMs: number;
  /** How long a security event's effect is kept, ms (at least the longest token lifetime). */
  eventTtlMs: number;
}

export interface GeoPoint {
  lat: number;
  lon: number;
  country: string;
}

/** What one check records. Null fields are neither recorded nor read. */
export interface Observation {
  nowMs: number;
  principal: string | null;
  ip: string | null;
  /** Opaque device fingerprint (already hashed). */
  fingerprint: string | null;
  location: GeoPoint | null;
  /** Local hour of day 0..23 of this request. */
  hour: number | null;
  session: string | null;
  token: string | null;
}

/** The effect of security events on one target (a subject, a session or a token). */
export interface EventState {
  /** Credentials issued at or before this instant (ms) are revoked. */
  revokedAtMs?: number;
  /** The subject's credentials changed at this instant (ms); older tokens are suspect. */
  credentialChangedAtMs?: number;
  /** A level floor set by a `risk-level-change` event, valid until `riskLevelUntilMs`. */
  riskLevel?: RiskLevel;
  riskLevelUntilMs?: number;
}

/**
 * The state around this request: failures, devices, location and events as they were before it;
 * `rateBuckets` and `hours` already count it. The collections may be the store's live objects:
 * read them synchronously, right after the call, and never modify them.
 */
export interface Snapshot {
  principalFailures: number;
  ipFailures: number;
  /** Bucket index (floor(nowMs / rateBucketMs)) → requests; the current bucket included. */
  rateBuckets: ReadonlyMap<number, number>;
  /** Whether the fingerprint was already known for the principal. */
  fingerprintKnown: boolean;
  /** Known fingerprints of the principal before this request. */
  knownFingerprints: number;
  lastLocation: (GeoPoint & { atMs: number }) | null;
  /** Requests per local hour 0..23, this one included (length 24; all zero without a principal). */
  hours: readonly number[];
  subjectEvents: EventState | null;
  sessionEvents: EventState | null;
  tokenEvents: EventState | null;
}

export type EventTarget = { kind: "subject" | "session" | "token"; id: string };

export interface RiskStore {
  /** Records one check and returns the state its signals need; one round trip at most. */
  observe(observation: Observation): Promise<Snapshot>;
  /** Adds a failure (auth failure or denial) to the principal's and/or the IP's window. */
  recordFailure(principal: string | null, ip: string | null, nowMs: number): Promise<void>;
  /** Merges an event's effect into the target's state (later instants win). */
  applyEvent(target: EventTarget, update: EventState, nowMs: number): Promise<void>;
  close(): Promise<void>;
}

const NO_BUCKETS: ReadonlyMap<number, number> = new Map();
const NO_HOURS: readonly number[] = Object.freeze(new Array<number>(24).fill(0));

export function emptySnapshot(): Snapshot {
  return {
    principalFailures: 0,
    ipFailures: 0,
    rateBuckets: NO_BUCKETS,
    fingerprintKnown: false,
    knownFingerprints: 0,
    lastLocation: null,
    hours: NO_HOURS,
    subjectEvents: null,
    sessionEvents: null,
    tokenEvents: null,
  };
}

/** How long a target's event state must be kept: the event TTL, or longer for a longer level floor. */
export function eventTtlMs(update: EventState, nowMs: number, limits: StoreLimits): number {
  return Math.max(limits.eventTtlMs, (update.riskLevelUntilMs ?? 0) - nowMs);
}

/** Merges event updates: instants take the later value; a level floor is replaced by the newer event. */
export function mergeEventState(old: EventState | null | undefined, update: EventState): EventState {
  const out: EventState = { ...(old ?? {}) };
  if (update.revokedAtMs !== undefined) out.revokedAtMs = Math.max(out.revokedAtMs ?? 0, update.revokedAtMs);
  if (update.credentialChangedAtMs !== undefined)
    out.credentialChangedAtMs = Math.max(out.credentialChangedAtMs ?? 0, update.credentialChangedAtMs);
  if (update.riskLevel !== undefined) {
    out.riskLevel = update.riskLevel;
    out.riskLevelUntilMs = update.riskLevelUntilMs;
  }
  return out;
}
