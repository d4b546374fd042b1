// The engine over the in-memory store with a fake clock: state-driven signals, feedback, security
// events and graceful behaviour when the store fails.
import { describe, expect, it } from "vitest";
import { RiskEngine } from "../../authz-server/src/risk/engine.ts";
import { parseSecurityEvent } from "../../authz-server/src/risk/events.ts";
import { riskHeaders, riskMetadata } from "../../authz-server/src/risk/expose.ts";
import type { RiskStore } from "../../authz-server/src/risk/store/types.ts";
import type { RiskContext } from "../../authz-server/src/risk/types.ts";
import { context, T0 } from "./fixtures.ts";

const GEO = [
  { cidr: "192.0.2.0/24", lat: 48.8566, lon: 2.3522, country: "FR" },
  { cidr: "198.51.100.0/24", lat: 40.7128, lon: -74.006, country: "US" },
];

describe("RiskEngine (in-memory store)", () => {
  it("scores a clean request low with no reasons", async () => {
    const engine = new RiskEngine();
    expect(await engine.assess(context(), T0)).toEqual({ score: 0, level: "low", reasons: [] });
  });

  it("raises the level with failed logins fed back, per principal and per IP", async () => {
    const engine = new RiskEngine();
    for (let i = 0; i < 10; i++)
      await engine.recordOutcome({ kind: "auth-failed", principal: "alice", sourceIp: "203.0.113.9" }, T0 + i);
    const r = await engine.assess(context(), T0 + 100);
    expect(r).toMatchObject({ score: 60, level: "high" });
    expect(r.reasons[0]).toMatchObject({ signal: "failed-auth-velocity", contribution: 60 });
    // another user from the same IP: 10 IP failures → (10 − 5)/25 = 0.2 → 12 points
    const bob = await engine.assess(context({ identity: { subject: "bob" }, sourceIp: "203.0.113.9" }), T0 + 100);
    expect(bob.score).toBe(12);
    // the window slides: 10 min later the failures are gone
    expect((await engine.assess(context(), T0 + 600_010)).score).toBe(0);
  });

  it("counts denials only when configured", async () => {
    const off = new RiskEngine({ failedAuth: { countDenials: false } });
    for (let i = 0; i < 10; i++) await off.recordOutcome({ kind: "denied", principal: "alice" }, T0);
    expect((await off.assess(context(), T0 + 1)).score).toBe(0);
    const on = new RiskEngine();
    for (let i = 0; i < 10; i++) await on.recordOutcome({ kind: "denied", principal: "alice" }, T0);
    expect((await on.assess(context(), T0 + 1)).score).toBe(60);
  });

  it("detects impossible travel and a new device from remembered state", async () => {
    const engine = new RiskEngine({ travel: { locations: GEO } });
    await engine.assess(context({ sourceIp: "192.0.2.7", headers: { "user-agent": "phone" } }), T0);
    const r = await engine.assess(
      context({ sourceIp: "198.51.100.7", headers: { "user-agent": "laptop" } }),
      T0 + 3_600_000,
    );
    expect(r.reasons.map((x) => [x.signal, x.contribution])).toEqual([
      ["impossible-travel", 70],
      ["new-device", 30],
    ]);
    expect(r).toMatchObject({ score: 79, level: "high" }); // 1 − 0.3·0.7 = 0.79
  });

  it("flags a burst against the principal's own baseline", async () => {
    const engine = new RiskEngine();
    let now = T0 - 120_000;
    for (let b = 0; b < 12; b++, now += 10_000) {
      await engine.assess(context(), now);
      await engine.assess(context(), now + 1);
    }
    let last = await engine.assess(context(), now);
    for (let i = 1; i < 25; i++) last = await engine.assess(context(), now + i);
    expect(last.reasons[0]).toMatchObject({ signal: "request-rate", contribution: 40 });
  });

  it("applies security events on the next assessment", async () => {
    const engine = new RiskEngine();
    const ctx = context({ identity: { claims: { iat: T0 / 1000 - 60, amr: ["mfa"], sid: "s1", jti: "j1" } } });
    await engine.applyEvent(
      parseSecurityEvent(
        {
          event_type: "risk-level-change",
          subject: { format: "session", id: "s1" },
          current_level: "medium",
          ttl_seconds: 60,
        },
        T0,
      ),
      T0,
    );
    expect(await engine.assess(ctx, T0 + 1)).toMatchObject({
      score: 30,
      level: "medium",
      reasons: [{ signal: "risk-level-change", contribution: 30 }],
    });
    expect((await engine.assess(ctx, T0 + 60_001)).level).toBe("low"); // the floor expired
    await engine.applyEvent(
      parseSecurityEvent({ event_type: "credential-change", subject: { format: "subject", id: "alice" } }, T0 + 61_000),
      T0 + 61_000,
    );
    expect(await engine.assess(ctx, T0 + 61_001)).toMatchObject({
      level: "high",
      reasons: [{ signal: "credential-change" }],
    });
    await engine.applyEvent(
      parseSecurityEvent({ event_type: "session-revoked", subject: { format: "token", id: "j1" } }, T0 + 62_000),
      T0 + 62_000,
    );
    expect(await engine.assess(ctx, T0 + 62_001)).toMatchObject({ score: 100, level: "critical" });
    // a fresh login (new token, issued after the change) is neither revoked nor suspect
    const fresh = context({ identity: { claims: { iat: (T0 + 63_000) / 1000, amr: ["mfa"], sid: "s2", jti: "j2" } } });
    expect(await engine.assess(fresh, T0 + 63_001)).toMatchObject({ score: 0, level: "low" });
  });

  it("revokes every credential of a subject issued before the event", async () => {
    const engine = new RiskEngine();
    await engine.applyEvent(
      parseSecurityEvent({ event_type: "session-revoked", subject: { format: "subject", id: "alice" } }, T0),
      T0,
    );
    expect((await engine.assess(context(), T0 + 1)).level).toBe("critical"); // iat = T0 ≤ event
    const later = context({ identity: { claims: { iat: T0 / 1000 + 1, amr: ["mfa"] } } });
    expect((await engine.assess(later, T0 + 2000)).level).toBe("low");
  });

  it("never fails a check when the store throws; reports through the hook", async () => {
    const errors: string[] = [];
    const broken: RiskStore = {
      observe: () => Promise.reject(new Error("disk on fire")),
      recordFailure: () => Promise.reject(new Error("disk on fire")),
      applyEvent: () => Promise.reject(new Error("disk on fire")),
      close: () => Promise.resolve(),
    };
    const engine = new RiskEngine({ ipReputation: { deny: ["203.0.113.0/24"] } }, broken, {
      onStateError: (op) => errors.push(op),
    });
    const r = await engine.assess(context({ sourceIp: "203.0.113.1" }), T0);
    expect(r).toMatchObject({ score: 100, level: "critical" });
    await engine.recordOutcome({ kind: "auth-failed", principal: "alice" }, T0);
    expect(errors).toEqual(["observe", "recordFailure"]);
  });

  it("keeps scoring when a signal throws on malformed input", async () => {
    const failed: number[] = [];
    const engine = new RiskEngine({ ipReputation: { deny: ["203.0.113.0/24"] } }, undefined, {
      onSignalError: (i) => failed.push(i),
    });
    // headers missing altogether (a caller bug): the header-reading signals throw, the rest still count
    const ctx = { ...context({ sourceIp: "203.0.113.1" }), headers: undefined as unknown as Record<string, string> };
    expect(await engine.assess(ctx, T0)).toMatchObject({ score: 100, level: "critical" });
    expect(failed.length).toBeGreaterThan(0);
  });

  it("scores a check high, with the reason, when the engine itself fails", async () => {
    const failed: number[] = [];
    const engine = new RiskEngine({}, undefined, { onSignalError: (i) => failed.push(i) });
    const r = await engine.assess(null as unknown as RiskContext, T0);
    expect(r).toMatchObject({ score: 60, level: "high", reasons: [{ signal: "risk-engine-error", contribution: 60 }] });
    expect(failed).toEqual([-1]);
  });

  it("exposes headers and dynamic metadata", () => {
    const a = { score: 42, level: "medium" as const, reasons: [] };
    expect(riskHeaders(a)).toEqual({ "x-meshward-risk-score": "42", "x-meshward-risk-level": "medium" });
    expect(riskMetadata(a)).toEqual({ risk_score: 42, risk_level: "medium" });
  });
});
