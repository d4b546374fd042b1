import { describe, expect, it } from "vitest";
import {
  eventUpdate,
  handleSecurityEvent,
  parseSecurityEvent,
  type SecurityEvent,
} from "../../authz-server/src/risk/events.ts";
import { T0 } from "./fixtures.ts";

const ok = (body: unknown) => parseSecurityEvent(body, T0);
const fieldOf = (body: unknown) => {
  try {
    ok(body);
    return "(accepted)";
  } catch (err) {
    return (err as { field?: string }).field ?? String(err);
  }
};

describe("security events", () => {
  it("parses short names and CAEP URIs, defaulting the time to now", () => {
    expect(ok({ event_type: "session-revoked", subject: { format: "session", id: "s1" } })).toEqual({
      type: "session-revoked",
      target: { kind: "session", id: "s1" },
      atMs: T0,
    });
    expect(
      ok({
        event_type: "https://schemas.openid.net/secevent/caep/event-type/risk-level-change",
        subject: { format: "subject", id: "alice" },
        event_timestamp: T0 / 1000 - 10,
        current_level: "HIGH",
        ttl_seconds: 60,
      }),
    ).toEqual({
      type: "risk-level-change",
      target: { kind: "subject", id: "alice" },
      atMs: T0 - 10_000,
      level: "high",
      ttlMs: 60_000,
    });
  });

  it.each([
    [null, "(body)"],
    [{ event_type: "account-disabled", subject: { format: "subject", id: "a" } }, "event_type"],
    [{ event_type: "session-revoked" }, "subject"],
    [{ event_type: "session-revoked", subject: { format: "email", id: "a" } }, "subject.format"],
    [{ event_type: "session-revoked", subject: { format: "token", id: "" } }, "subject.id"],
    [{ event_type: "credential-change", subject: { format: "token", id: "t" } }, "subject.format"],
    [
      { event_type: "session-revoked", subject: { format: "subject", id: "a" }, event_timestamp: T0 / 1000 + 301 },
      "event_timestamp",
    ],
    [
      { event_type: "risk-level-change", subject: { format: "subject", id: "a" }, current_level: "severe" },
      "current_level",
    ],
    [
      {
        event_type: "risk-level-change",
        subject: { format: "subject", id: "a" },
        current_level: "high",
        ttl_seconds: 0,
      },
      "ttl_seconds",
    ],
    [
      { event_type: "session-revoked", subject: { format: "subject", id: "a" }, current_level: "high" },
      "current_level",
    ],
    [{ event_type: "session-revoked", subject: { format: "subject", id: "a" }, extra: 1 }, "extra"],
  ])("rejects %j naming %s", (body, field) => {
    expect(fieldOf(body)).toBe(field);
  });

  it("maps each type to its state update", () => {
    const base = { target: { kind: "subject" as const, id: "a" }, atMs: T0 };
    expect(eventUpdate({ ...base, type: "session-revoked" }, 1000)).toEqual({ revokedAtMs: T0 });
    expect(eventUpdate({ ...base, type: "credential-change" }, 1000)).toEqual({ credentialChangedAtMs: T0 });
    expect(eventUpdate({ ...base, type: "risk-level-change", level: "critical" }, 1000)).toEqual({
      riskLevel: "critical",
      riskLevelUntilMs: T0 + 1000,
    });
    expect(eventUpdate({ ...base, type: "risk-level-change", level: "medium", ttlMs: 5 }, 1000)).toEqual({
      riskLevel: "medium",
      riskLevelUntilMs: T0 + 5,
    });
  });

  it("handles the admin request: 202 after applying, 400 naming the field", async () => {
    const applied: SecurityEvent[] = [];
    const sink = { applyEvent: async (e: SecurityEvent) => void applied.push(e) };
    const good = await handleSecurityEvent(
      sink,
      { event_type: "session-revoked", subject: { format: "token", id: "j1" } },
      T0,
    );
    expect(good.status).toBe(202);
    expect(applied).toHaveLength(1);
    const bad = await handleSecurityEvent(sink, { event_type: "nope" }, T0);
    expect(bad).toMatchObject({ status: 400, body: { field: "event_type" } });
    expect(applied).toHaveLength(1);
  });
});
