// Two authz server PROCESSES (replicas A and B, as deployed) share one real redis-server. Checks go
// to them as Envoy's HTTP-mode ext_authz would send them, against the signed zero-trust bundle,
// with JWTs from a loopback identity provider. Proves: failed logins counted at A step up the
// subject at B; a revocation posted to A's admin endpoint denies at B on the very next check; Redis
// killed (SIGKILL) → both keep answering and keep denying what they denied (revocation and failure
// counts were mirrored into their local state); Redis back on the same port → shared state resumes
// (what B recorded during the outage is replayed and seen by A), without restarting the replicas.
// Each replica runs two worker processes, as the production overlay deploys them: every worker
// mirrors the broadcasts into its own local state, and whichever worker answers a check must agree.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_CHANNEL } from "../../authz-server/src/events/event-broadcast.ts";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningRedis, startRedis } from "../../scripts/lib/redis.ts";
import {
  buildZeroTrust,
  checkHttp,
  metricValue,
  postEvent,
  startIdp,
  type TestIdp,
  until,
  writeAuthzConfig,
} from "../support/zero-trust-stack.ts";

let redis: RunningRedis | undefined;
let idp: TestIdp | undefined;
let a: AuthzProcess | undefined;
let b: AuthzProcess | undefined;
/** bob's token, issued before his revocation. */
let bob = "";

const SHARED = "meshward_authz_risk_store_shared";
/** Worker processes per replica; /metrics sums them. */
const WORKERS = 2;
const port = (p: AuthzProcess | undefined) => p?.httpPort as number;
const shared = async (p: AuthzProcess | undefined) => (await metricValue(port(p), SHARED)) === 1;

beforeAll(async () => {
  redis = await startRedis();
  idp = await startIdp();
  const config = writeAuthzConfig({ zeroTrust: buildZeroTrust(), jwksUrl: idp.jwksUrl, redisUrl: redis.url });
  const args = ["--config", config, "--workers", String(WORKERS)];
  [a, b] = await Promise.all([startAuthzProcess(args), startAuthzProcess(args)]);
  await until("both replicas on Redis", async () => (await shared(a)) && (await shared(b)));
}, 150_000); // six Node processes start (two replicas of a primary and two workers)

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  await idp?.close();
});

/** A burst of failed logins for `sub` (tokens signed by an untrusted key) at one replica. */
async function failLogins(replica: AuthzProcess | undefined, sub: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const answer = await checkHttp(port(replica), "/api/orders", await idp?.forged(sub));
    expect(answer.status).toBe(401); // unauthenticated → authentication_required
  }
}

function expectStepUp(answer: { status: number; headers: Headers }): void {
  expect(answer.status).toBe(401);
  expect(answer.headers.get("x-meshward-reason")).toBe("step_up_required");
  expect(answer.headers.get("www-authenticate")).toContain('error="insufficient_user_authentication"');
}

describe("two authz server processes on one Redis", () => {
  it("share failed-login counts: a burst at A steps the subject up at B", async () => {
    const alice = await idp?.token("alice");
    const before = await checkHttp(port(b), "/api/orders", alice);
    expect(before.status).toBe(200);
    expect(before.headers.get("x-meshward-risk-level")).toBe("low");
    await failLogins(a, "alice", 10);
    expectStepUp(await checkHttp(port(b), "/api/orders", alice));
    expect(
      await metricValue(port(a), "meshward_authz_risk_outcomes_total", 'kind="auth-failed"'),
    ).toBeGreaterThanOrEqual(10);
    // A different subject is untouched by alice's failures.
    expect((await checkHttp(port(b), "/api/orders", await idp?.token("carol"))).status).toBe(200);
  });

  it("apply a revocation posted to A on B's very next check", async () => {
    bob = (await idp?.token("bob")) as string;
    expect((await checkHttp(port(b), "/api/orders", bob)).status).toBe(200);
    const unauthorized = await postEvent(
      port(a),
      { event_type: "session-revoked", subject: { format: "subject", id: "bob" } },
      "wrong-token-wrong-token",
    );
    expect(unauthorized.status).toBe(401);
    expect((await checkHttp(port(b), "/api/orders", bob)).status).toBe(200);
    const accepted = await postEvent(port(a), {
      event_type: "session-revoked",
      subject: { format: "subject", id: "bob" },
    });
    expect(accepted.status).toBe(202);
    const denied = await checkHttp(port(b), "/api/orders", bob);
    expect(denied.status).toBe(403);
    expect(denied.headers.get("x-meshward-reason")).toBe("risk_too_high");
    expect((await checkHttp(port(a), "/api/orders", bob)).status).toBe(403);
    expect(await metricValue(port(a), "meshward_authz_security_events_total", 'result="accepted"')).toBe(1);
    expect(await metricValue(port(a), "meshward_authz_security_events_total", 'result="unauthorized"')).toBe(1);
    // Every worker of B also mirrored the event into its local state (for a Redis outage, next test).
    const heard = () => metricValue(port(b), "meshward_authz_risk_broadcasts_total", 'kind="event",result="applied"');
    await until("B heard the event", async () => (await heard()) === WORKERS);
    // A malformed message on the channel is dropped and counted, and changes nothing.
    const raw = new Redis(redis?.url as string);
    try {
      await raw.publish(EVENT_CHANNEL, JSON.stringify({ origin: "x", event: { event_type: "session-revoked" } }));
    } finally {
      raw.disconnect();
    }
    const invalid = () => metricValue(port(b), "meshward_authz_risk_broadcasts_total", 'result="invalid"');
    await until("B dropped the bad message", async () => (await invalid()) === WORKERS);
    expect(await heard()).toBe(WORKERS);
    const status = (await (await fetch(`http://127.0.0.1:${port(b)}/status`)).json()) as { risk: unknown };
    expect(status.risk).toMatchObject({ store: "shared" });
  });

  it("keep answering with Redis killed, and keep denying what was denied", async () => {
    await redis?.stop({ kill: true });
    await until("both replicas degraded", async () => !(await shared(a)) && !(await shared(b)));
    // The revocation (of bob's token, issued before it) and alice's failures hold on both
    // replicas from their local copies.
    for (const replica of [a, b]) {
      expect((await checkHttp(port(replica), "/api/orders", bob)).status).toBe(403);
      expectStepUp(await checkHttp(port(replica), "/api/orders", await idp?.token("alice")));
      expect((await checkHttp(port(replica), "/api/orders", await idp?.token("carol"))).status).toBe(200);
    }
    // New failures during the outage count locally at B.
    await failLogins(b, "dave", 10);
    expectStepUp(await checkHttp(port(b), "/api/orders", await idp?.token("dave")));
    expect(await metricValue(port(b), "meshward_authz_risk_store_fallbacks_total")).toBeGreaterThan(0);
  });

  it("resume shared state when Redis is back: the outage's records are replayed", async () => {
    const port_ = redis?.port as number;
    redis = await startRedis({ port: port_ }); // a fresh server on the same port (no persistence)
    await until("both replicas shared again", async () => (await shared(a)) && (await shared(b)), 15_000);
    // dave's failures were recorded at B only (the publish failed with Redis down): A sees them
    // because B replayed its queue into Redis.
    expectStepUp(await checkHttp(port(a), "/api/orders", await idp?.token("dave")));
    // And new shared state flows again: a revocation at B, denied at A.
    const erin = await idp?.token("erin");
    expect((await checkHttp(port(a), "/api/orders", erin)).status).toBe(200);
    expect(
      (await postEvent(port(b), { event_type: "session-revoked", subject: { format: "subject", id: "erin" } })).status,
    ).toBe(202);
    expect((await checkHttp(port(a), "/api/orders", erin)).status).toBe(403);
    expect(a?.process.child.exitCode).toBeNull();
    expect(b?.process.child.exitCode).toBeNull();
  });
});
