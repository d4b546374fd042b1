// The server-side wiring of the risk engine, in process: whom a failed login is charged to, which
// check outcomes are fed back, and the admin events endpoint's authentication and answers (with the
// real engine behind it: an accepted revocation changes the very next assessment).
import { createHash } from "node:crypto";
import { generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { CheckRecord } from "../../authz-server/src/check/check-record.ts";
import { loadConfig } from "../../authz-server/src/config/load.ts";
import { defaultConfig, validateConfig } from "../../authz-server/src/config/schema.ts";
import { AdminEvents, bearerMatches } from "../../authz-server/src/events/admin-events.ts";
import { claimedPrincipalReader, MAX_NAME_LENGTH } from "../../authz-server/src/identity/claimed-principal.ts";
import { createRiskEngine, handleSecurityEvent } from "../../authz-server/src/risk/index.ts";
import { outcomeOf, type RiskFacts } from "../../authz-server/src/risk/risk-enricher.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { context, T0 } from "./fixtures.ts";

const ISSUER = "https://idp.test";
let forged = "";
let otherIssuer = "";

beforeAll(async () => {
  // A token signed by a key nobody trusts: its `sub` is a claim, not a fact.
  const key = await generateKeyPair("ES256");
  forged = await new SignJWT({ sub: "alice", iss: ISSUER }).setProtectedHeader({ alg: "ES256" }).sign(key.privateKey);
  otherIssuer = await new SignJWT({ sub: "alice", iss: "https://elsewhere.test" })
    .setProtectedHeader({ alg: "ES256" })
    .sign(key.privateKey);
});

describe("claimed principal of a failed login", () => {
  const jwt = { header: "authorization", issuer: ISSUER };

  it("is the unverified sub of the presented token, if it claims our issuer", () => {
    const read = claimedPrincipalReader({ jwt });
    expect(read({ authorization: `Bearer ${forged}` })).toBe("alice");
    expect(read({ authorization: `Bearer ${otherIssuer}` })).toBeNull();
    expect(read({ authorization: "Bearer not-a-jwt" })).toBeNull();
    expect(read({})).toBeNull();
  });

  it("falls back to the configured header and refuses unusable names", () => {
    const read = claimedPrincipalReader({ jwt, header: "x-login-user" });
    expect(read({ authorization: "Bearer junk", "x-login-user": "bob" })).toBe("bob");
    expect(read({ "x-login-user": "bo\nb" })).toBeNull();
    expect(read({ "x-login-user": "x".repeat(MAX_NAME_LENGTH + 1) })).toBeNull();
    expect(read({ "x-login-user": "x".repeat(MAX_NAME_LENGTH) })).toHaveLength(MAX_NAME_LENGTH);
    expect(claimedPrincipalReader({})({ "x-login-user": "bob" })).toBeNull();
  });
});

describe("outcomes fed back to the engine", () => {
  /** A finished check and the facts the risk enricher recorded for it. */
  const check = (
    over: Partial<CheckRecord>,
    identity: Partial<RiskFacts["identity"]>,
    headers = {},
  ): [CheckRecord, RiskFacts] => [
    { decisionId: "d", allowed: false, decidedAllow: false, dryRun: false, entrypoint: "e", durationMs: 0, ...over },
    {
      identity: { subject: null, issuer: null, claims: null, spiffe_id: null, authenticated: false, ...identity },
      sourceIp: "192.0.2.9",
      headers,
    },
  ];
  const claimed = claimedPrincipalReader({ jwt: { header: "authorization", issuer: ISSUER } });

  it("charges an invalid token to the name it claims, and the source IP", () => {
    const r = check(
      { httpStatus: 403 },
      { authenticated: false, error: "bad_signature" },
      {
        authorization: `Bearer ${forged}`,
      },
    );
    expect(outcomeOf(...r, claimed)).toEqual({ kind: "auth-failed", principal: "alice", sourceIp: "192.0.2.9" });
    expect(outcomeOf(...r, undefined)).toEqual({ kind: "auth-failed", principal: null, sourceIp: "192.0.2.9" });
  });

  it("treats a policy 401 as a failed authentication, other denials as denials", () => {
    const alice = { authenticated: true, subject: "alice" };
    expect(outcomeOf(...check({ httpStatus: 401 }, alice), claimed)).toMatchObject({
      kind: "auth-failed",
      principal: "alice",
    });
    expect(outcomeOf(...check({ httpStatus: 403 }, alice), claimed)).toMatchObject({
      kind: "denied",
      principal: "alice",
    });
    // A denial without a verified identity is not charged to a claimed name.
    const anon = check({ httpStatus: 403 }, { authenticated: false }, { authorization: `Bearer ${forged}` });
    expect(outcomeOf(...anon, claimed)).toMatchObject({ kind: "denied", principal: null });
  });

  it("reports nothing for allows and for the server's own failures", () => {
    expect(
      outcomeOf(...check({ allowed: true, decidedAllow: true }, { authenticated: true }), claimed),
    ).toBeUndefined();
    expect(outcomeOf(...check({ errorCode: "MW_POLICY_EVAL" }, { authenticated: false }), claimed)).toBeUndefined();
    // A denial the risk enricher never scored (no facts recorded) is not charged to anyone.
    expect(outcomeOf(check({ httpStatus: 401 }, {})[0], undefined, claimed)).toBeUndefined();
  });
});

describe("admin security events endpoint", () => {
  const TOKEN = "s3cret-admin-token-0123456789";
  const engine = createRiskEngine();
  const results: string[] = [];
  const admin = new AdminEvents({
    token: TOKEN,
    apply: (body, now) => handleSecurityEvent(engine, body, now),
    nowMs: () => T0,
    onResult: (outcome, type) => results.push(`${outcome}:${type}`),
  });
  const revokeBob = Buffer.from(
    JSON.stringify({ event_type: "session-revoked", subject: { format: "subject", id: "bob" } }),
  );

  it("compares bearer tokens exactly, whatever their length", () => {
    const expected = createHash("sha256").update(TOKEN).digest();
    expect(bearerMatches(`Bearer ${TOKEN}`, expected)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, expected)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN}x`, expected)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, expected)).toBe(false);
    expect(bearerMatches(TOKEN, expected)).toBe(false);
    expect(bearerMatches(undefined, expected)).toBe(false);
  });

  it("answers 401 without the token and applies nothing", async () => {
    for (const auth of [undefined, "Bearer wrong", `Basic ${TOKEN}`]) {
      const reply = await admin.handle(auth, revokeBob);
      expect(reply.status).toBe(401);
      expect(reply.headers["www-authenticate"]).toBe('Bearer realm="meshward-admin"');
    }
    const bob = context({ identity: { subject: "bob", claims: { iat: T0 / 1000 - 60, amr: ["mfa"] } } });
    expect((await engine.assess(bob, T0)).level).toBe("low");
  });

  it("names the bad field (400) and applies a valid event for the very next check (202)", async () => {
    expect((await admin.handle(`Bearer ${TOKEN}`, Buffer.from("{nope"))).status).toBe(400);
    const bad = await admin.handle(`Bearer ${TOKEN}`, Buffer.from(JSON.stringify({ event_type: "x" })));
    expect(bad).toMatchObject({ status: 400, body: { field: "event_type" } });
    const ok = await admin.handle(`Bearer ${TOKEN}`, revokeBob);
    expect(ok.status).toBe(202);
    const bob = context({ identity: { subject: "bob", claims: { iat: T0 / 1000 - 60, amr: ["mfa"] } } });
    const risk = await engine.assess(bob, T0 + 1);
    expect(risk).toMatchObject({ score: 100, level: "critical" });
    expect(risk.reasons[0]?.signal).toBe("session-revoked");
    expect(results).toEqual([
      "unauthorized:unknown",
      "unauthorized:unknown",
      "unauthorized:unknown",
      "invalid:unknown",
      "invalid:x",
      "accepted:session-revoked",
    ]);
  });

  it("answers 503 when the event cannot be stored", async () => {
    const failing = new AdminEvents({
      token: TOKEN,
      apply: () => Promise.reject(new Error("store down")),
      nowMs: () => T0,
    });
    expect((await failing.handle(`Bearer ${TOKEN}`, revokeBob)).status).toBe(503);
  });
});

describe("risk section of the server config", () => {
  const fromEnv = (env: NodeJS.ProcessEnv) => loadConfig({ help: false, overrides: [] }, env, repoRoot).risk;

  it("accepts the admin token inline, from a file or from the environment", () => {
    const token = "0123456789abcdef";
    expect(validateConfig({ risk: { admin: { token } } }, defaultConfig(repoRoot)).risk?.admin).toEqual({ token });
    expect(
      validateConfig(
        { risk: { admin: { tokenFile: "/run/secrets/t" }, failedLoginHeader: "X-Login-User" } },
        defaultConfig(repoRoot),
      ).risk,
    ).toMatchObject({ admin: { tokenFile: "/run/secrets/t" }, failedLoginHeader: "x-login-user" });
    expect(fromEnv({ MESHWARD_AUTHZ_RISK_ADMIN_TOKEN: token })?.admin).toEqual({ token });
  });

  it("refuses a short token, both sources at once, or none, naming the field", () => {
    const bad = (admin: unknown) => () => validateConfig({ risk: { admin } }, defaultConfig(repoRoot));
    expect(bad({ token: "short" })).toThrow(/risk\.admin\.token: must be at least 16 characters/);
    expect(bad({ token: "0123456789abcdef", tokenFile: "f" })).toThrow(/risk\.admin\.token: set either/);
    expect(bad({})).toThrow(/risk\.admin\.token: token or tokenFile is required/);
    expect(bad({ tokn: "x" })).toThrow(/risk\.admin\.tokn/);
    expect(() => validateConfig({ risk: { redisCommandTimeoutMs: 0 } }, defaultConfig(repoRoot))).toThrow(
      /risk\.redisCommandTimeoutMs: must be an integer 1\.\.60000/,
    );
  });
});
