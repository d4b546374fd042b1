// The risk engine: called once per check by the authz server. One store round trip records the
// request and fetches the state; nine pure signals and the security-event effects turn it into
// reasons; combine.ts saturates them into a score and a level.
//
// It never fails a check: a store error (after the fallback store's own degradation) yields an
// empty snapshot — the stateless signals (IP reputation, token, sensitivity, posture) still count —
// and is reported through `hooks.onStateError`.
import { combine } from "./combine.ts";
import { parseRiskConfig, type RiskConfig, storeLimitsFrom } from "./config.ts";
import { applyEventEffects } from "./event-effects.ts";
import { type EventSink, eventUpdate, type SecurityEvent } from "./events.ts";
import { parseIp, type Words } from "./net/cidr.ts";
import { GeoTable } from "./net/geo.ts";
import { createDevicePosture } from "./signals/device-posture.ts";
import { createEndpointSensitivity } from "./signals/endpoint-sensitivity.ts";
import { createFailedAuthVelocity } from "./signals/failed-auth-velocity.ts";
import { createImpossibleTravel } from "./signals/impossible-travel.ts";
import { createIpReputation } from "./signals/ip-reputation.ts";
import { createNewDevice, deviceFingerprint } from "./signals/new-device.ts";
import { createRequestRate } from "./signals/request-rate.ts";
import type { Signal, SignalInput } from "./signals/signal.ts";
import { createTimeOfDay, localHour } from "./signals/time-of-day.ts";
import { createTokenAssurance } from "./signals/token-assurance.ts";
import { MemoryStore } from "./store/memory-store.ts";
import { emptySnapshot, type Observation, type RiskStore, type Snapshot } from "./store/types.ts";
import type { RiskAssessment, RiskContext, RiskIdentity, RiskOutcome, RiskReason } from "./types.ts";

export interface RiskEngineHooks {
  /** A store call failed even after fallback; the check went on without state. */
  onStateError?(operation: "observe" | "recordFailure" | "applyEvent", error: unknown): void;
  /** A signal threw on unexpected input; the check went on without that signal. */
  onSignalError?(index: number, error: unknown): void;
}

/** The key risk state is kept under: the verified subject, else the SPIFFE ID; null if unauthenticated. */
export function principalOf(identity: RiskIdentity): string | null {
  if (!identity.authenticated) return null;
  return identity.subject || identity.spiffe_id || null;
}

/** The source IP parsed once per check; null when absent or not an address. */
function sourceWords(ctx: RiskContext): Words | null {
  return ctx.sourceIp ? parseIp(ctx.sourceIp) : null;
}

function claimString(identity: RiskIdentity, name: string): string | null {
  const v = identity.claims?.[name];
  return typeof v === "string" && v !== "" ? v : null;
}

export class RiskEngine implements EventSink {
  readonly config: RiskConfig;
  readonly store: RiskStore;
  private readonly signals: Signal[];
  private readonly geo: GeoTable;

  /** `config` is validated here (a ConfigError names the field); the default store is in-memory. */
  constructor(
    config: unknown = {},
    store?: RiskStore,
    private readonly hooks: RiskEngineHooks = {},
  ) {
    const c = parseRiskConfig(config);
    this.config = c;
    this.store = store ?? new MemoryStore(storeLimitsFrom(c), c.state.maxEntries);
    this.geo = new GeoTable(c.travel.locations);
    this.signals = [
      createIpReputation(c.ipReputation),
      createFailedAuthVelocity(c.failedAuth),
      createRequestRate(c.requestRate),
      createImpossibleTravel(c.travel),
      createNewDevice(c.device),
      createTokenAssurance(c.token),
      createTimeOfDay(c.timeOfDay),
      createEndpointSensitivity(c.sensitivity),
      createDevicePosture(c.devicePosture),
    ];
  }

  /** The observation a check records (exposed for tests and the benchmark). */
  observationFor(ctx: RiskContext, nowMs: number, ipWords: Words | null = sourceWords(ctx)): Observation {
    const principal = principalOf(ctx.identity);
    return {
      nowMs,
      principal,
      ip: ctx.sourceIp || null,
      fingerprint: principal === null ? null : deviceFingerprint(ctx, this.config.device.headers),
      location: principal === null ? null : this.geo.locate(ipWords),
      hour: principal === null ? null : localHour(nowMs, this.config.timeOfDay.utcOffsetMinutes),
      session: claimString(ctx.identity, "sid"),
      token: claimString(ctx.identity, "jti"),
    };
  }

  /**
   * Scores one check. `nowMs`: the caller's clock, ms since the epoch. Never rejects: should the
   * engine itself fail (a bug, a malformed context), the check is scored `high` with a
   * `risk-engine-error` reason — cautious (step-up / throttle under the default policy) without
   * locking everyone out — and the error goes to `hooks.onSignalError(-1, error)`.
   */
  async assess(ctx: RiskContext, nowMs: number): Promise<RiskAssessment> {
    try {
      const ipWords = sourceWords(ctx);
      const observation = this.observationFor(ctx, nowMs, ipWords);
      let snapshot: Snapshot;
      try {
        snapshot = await this.store.observe(observation);
      } catch (err) {
        this.hooks.onStateError?.("observe", err);
        snapshot = emptySnapshot();
      }
      return this.score(ctx, observation, snapshot, nowMs, ipWords);
    } catch (err) {
      this.hooks.onSignalError?.(-1, err);
      const high = this.config.levels.high;
      const detail = `risk engine error: ${(err as Error)?.message ?? String(err)}`;
      return { score: high, level: "high", reasons: [{ signal: "risk-engine-error", contribution: high, detail }] };
    }
  }

  /** The pure half of `assess`: signals over a snapshot. */
  score(
    ctx: RiskContext,
    observation: Observation,
    snapshot: Snapshot,
    nowMs: number,
    ipWords: Words | null = sourceWords(ctx),
  ): RiskAssessment {
    const input: SignalInput = {
      ctx,
      snapshot,
      nowMs,
      principal: observation.principal,
      ipWords,
      location: observation.location,
    };
    const reasons: RiskReason[] = [];
    for (let i = 0; i < this.signals.length; i++) {
      try {
        (this.signals[i] as Signal)(input, reasons);
      } catch (err) {
        this.hooks.onSignalError?.(i, err);
      }
    }
    const iat = ctx.identity.claims?.iat;
    const issuedAtMs = typeof iat === "number" && Number.isFinite(iat) ? iat * 1000 : null;
    const { floor } = applyEventEffects(snapshot, issuedAtMs, nowMs, this.config.levels, reasons);
    return combine(reasons, this.config.levels, floor);
  }

  /** Feedback after a check: failed authentications always count, denials when `failedAuth.countDenials`. */
  async recordOutcome(outcome: RiskOutcome, nowMs: number): Promise<void> {
    if (outcome.kind === "denied" && !this.config.failedAuth.countDenials) return;
    const principal = outcome.principal || null;
    const ip = outcome.sourceIp || null;
    if (principal === null && ip === null) return;
    try {
      await this.store.recordFailure(principal, ip, nowMs);
    } catch (err) {
      this.hooks.onStateError?.("recordFailure", err);
    }
  }

  /** Applies a validated security event (see events.ts); it counts from the next check on. */
  async applyEvent(event: SecurityEvent, nowMs: number): Promise<void> {
    try {
      await this.store.applyEvent(event.target, eventUpdate(event, this.config.state.eventTtlMs), nowMs);
    } catch (err) {
      this.hooks.onStateError?.("applyEvent", err);
      throw err;
    }
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
