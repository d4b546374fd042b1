// Builders for risk-engine tests: a check context and a store snapshot with only what a test sets.

import { parseIp } from "../../authz-server/src/risk/net/cidr.ts";
import type { SignalInput } from "../../authz-server/src/risk/signals/signal.ts";
import {
  emptySnapshot,
  type Observation,
  type Snapshot,
  type StoreLimits,
} from "../../authz-server/src/risk/store/types.ts";
import type { RiskContext, RiskIdentity, RiskReason } from "../../authz-server/src/risk/types.ts";

/** 2026-01-05T12:00:00Z, a Monday noon: the tests' fixed clock. */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

export function context(
  overrides: Partial<Omit<RiskContext, "identity">> & { identity?: Partial<RiskIdentity> } = {},
): RiskContext {
  const { identity, ...rest } = overrides;
  return {
    identity: {
      subject: "alice",
      issuer: "https://idp.test",
      claims: { iat: T0 / 1000, amr: ["mfa"] },
      authenticated: true,
      ...identity,
    },
    sourceIp: "192.0.2.10",
    headers: { "user-agent": "curl/8" },
    method: "GET",
    path: "/",
    contextExtensions: {},
    ...rest,
  };
}

export function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return { ...emptySnapshot(), ...overrides };
}

export function input(overrides: Partial<SignalInput> = {}): SignalInput {
  const base: SignalInput = {
    ctx: context(),
    snapshot: snapshot(),
    nowMs: T0,
    principal: "alice",
    ipWords: null,
    location: null,
    ...overrides,
  };
  // Like the engine: the source IP is parsed once per check.
  if (!("ipWords" in overrides) && base.ctx.sourceIp) base.ipWords = parseIp(base.ctx.sourceIp);
  return base;
}

/** Runs a signal and returns its reasons. */
export function run(signal: (i: SignalInput, out: RiskReason[]) => void, i: SignalInput): RiskReason[] {
  const out: RiskReason[] = [];
  signal(i, out);
  return out;
}

/** Small store limits so windows and bounds are easy to cross in a test. */
export const LIMITS: StoreLimits = {
  principalFailureWindowMs: 60_000,
  ipFailureWindowMs: 120_000,
  maxFailuresPerKey: 5,
  rateBucketMs: 10_000,
  rateHistoryBuckets: 3,
  maxFingerprints: 2,
  profileTtlMs: 3_600_000,
  eventTtlMs: 600_000,
};

export const obs = (nowMs: number, extra: Partial<Observation> = {}): Observation => ({
  nowMs,
  principal: "alice",
  ip: "192.0.2.1",
  fingerprint: null,
  location: null,
  hour: null,
  session: null,
  token: null,
  ...extra,
});
