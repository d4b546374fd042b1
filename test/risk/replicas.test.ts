// Two engine instances standing for two authz-server replicas share one real redis-server. Redis is
// killed mid-test (SIGKILL) and brought back on the same port: checks keep being answered from local
// state, then shared state resumes without a restart of either replica.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createRiskEngine,
  type FallbackStore,
  type RiskEngine,
  type StoreMode,
} from "../../authz-server/src/risk/index.ts";
import { type RunningRedis, startRedis } from "../../scripts/lib/redis.ts";
import { context, T0 } from "./fixtures.ts";

let redis: RunningRedis | undefined;
const engines: RiskEngine[] = [];
const modes: Array<[string, StoreMode, string]> = [];

function replica(name: string): RiskEngine {
  const engine = createRiskEngine({
    redis: { url: redis?.url as string, keyPrefix: "replicas:", commandTimeoutMs: 200, maxReconnectDelayMs: 200 },
    hooks: { onModeChange: (mode, reason) => modes.push([name, mode, reason]) },
  });
  engines.push(engine);
  return engine;
}

const statsOf = (e: RiskEngine) => (e.store as FallbackStore).stats();

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const e of engines) await e.close();
  await redis?.stop();
});

describe("two replicas on one Redis", () => {
  let a: RiskEngine;
  let b: RiskEngine;
  let now = T0;
  const alice = context({ identity: { claims: { iat: T0 / 1000, amr: ["mfa"], jti: "tok-1" } } });

  beforeAll(async () => {
    a = replica("a");
    b = replica("b");
    await until("both replicas shared", () => statsOf(a).mode === "shared" && statsOf(b).mode === "shared");
  });

  it("share failed-auth counts: failures fed back at A raise the level at B", async () => {
    expect((await b.assess(alice, now++)).level).toBe("low");
    for (let i = 0; i < 10; i++)
      await a.recordOutcome({ kind: "auth-failed", principal: "alice", sourceIp: "192.0.2.50" }, now++);
    const atB = await b.assess(alice, now++);
    expect(atB).toMatchObject({ score: 60, level: "high" });
    expect(atB.reasons[0]?.detail).toMatch(/^10 failures for the principal/);
  });

  it("share revocations: an event applied at A blocks the token at B on its next check", async () => {
    const bob = context({ identity: { subject: "bob", claims: { iat: T0 / 1000, amr: ["mfa"], jti: "tok-bob" } } });
    expect((await b.assess(bob, now++)).level).toBe("low");
    await a.applyEvent({ type: "session-revoked", target: { kind: "token", id: "tok-bob" }, atMs: now }, now++);
    expect(await b.assess(bob, now++)).toMatchObject({ score: 100, level: "critical" });
  });

  it("share revocations with every check B starts afterwards, also checks batched into one round trip", async () => {
    const dave = (i: number) =>
      context({ identity: { subject: "dave", claims: { iat: T0 / 1000, amr: ["mfa"], jti: `tok-dave-${i}` } } });
    const before = await Promise.all(Array.from({ length: 30 }, (_, i) => b.assess(dave(i), now++)));
    expect(before.every((r) => r.level === "low")).toBe(true);
    await a.applyEvent({ type: "session-revoked", target: { kind: "subject", id: "dave" }, atMs: now }, now++);
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => b.assess(dave(i), now++)));
    expect(after.map((r) => r.level)).toEqual(new Array(30).fill("critical"));
  });

  it("keeps answering while Redis is down, and resumes shared state when it is back", async () => {
    const port = redis?.port as number;
    const carol = context({
      identity: { subject: "carol", claims: { iat: T0 / 1000, amr: ["mfa"], jti: "tok-carol" } },
    });
    await redis?.stop({ kill: true });

    // Every check is answered, none rejects, each within the command timeout plus slack.
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const r = await (i % 2 === 0 ? a : b).assess(carol, now++);
      expect(r.level).toBe("low");
      expect(performance.now() - started).toBeLessThan(1000);
    }
    await until("both replicas local", () => statsOf(a).mode === "local" && statsOf(b).mode === "local");
    expect(statsOf(a).fallbacks).toBeGreaterThan(0);
    expect(
      modes
        .filter(([, m]) => m === "local")
        .map(([n]) => n)
        .sort(),
    ).toEqual(["a", "b"]);

    // During the outage each replica sees only its own state: A's revocation holds at A at once...
    await a.applyEvent({ type: "session-revoked", target: { kind: "token", id: "tok-carol" }, atMs: now }, now++);
    expect((await a.assess(carol, now++)).level).toBe("critical");
    expect((await b.assess(carol, now++)).level).toBe("low");
    for (let i = 0; i < 10; i++)
      await b.recordOutcome({ kind: "auth-failed", principal: "dave", sourceIp: "192.0.2.60" }, now++);

    // ...and Redis comes back (empty: it had no persistence) on the same port.
    redis = await startRedis({ port });
    await until("both replicas shared again", () => statsOf(a).mode === "shared" && statsOf(b).mode === "shared");
    expect(statsOf(a).replayed).toBeGreaterThanOrEqual(1);
    expect(statsOf(b).replayed).toBeGreaterThanOrEqual(10);

    // The queued revocation and failures were replayed: B now sees A's revocation, A sees B's failures.
    expect((await b.assess(carol, now++)).level).toBe("critical");
    const dave = context({ identity: { subject: "dave", claims: { iat: T0 / 1000, amr: ["mfa"] } } });
    expect((await a.assess(dave, now++)).level).toBe("high");
    // New shared writes flow between replicas again.
    await b.applyEvent(
      { type: "risk-level-change", target: { kind: "subject", id: "erin" }, atMs: now, level: "medium" },
      now++,
    );
    const erin = context({ identity: { subject: "erin", claims: { iat: T0 / 1000, amr: ["mfa"] } } });
    expect((await a.assess(erin, now++)).level).toBe("medium");
  });

  it("fails over on a stalled Redis (command timeout) and resumes by probing when it answers again", async () => {
    const child = redis?.process.child;
    const frank = context({ identity: { subject: "frank", claims: { iat: T0 / 1000, amr: ["mfa"] } } });
    const before = statsOf(a).fallbacks;
    child?.kill("SIGSTOP");
    try {
      const started = performance.now();
      const r = await a.assess(frank, now++);
      expect(r.level).toBe("low");
      expect(performance.now() - started).toBeLessThan(1000); // commandTimeoutMs is 200
      expect(statsOf(a).mode).toBe("local");
      expect(statsOf(a).fallbacks).toBe(before + 1);
    } finally {
      child?.kill("SIGCONT");
    }
    await until("replica a shared again", () => statsOf(a).mode === "shared");
    expect(modes.at(-1)).toEqual(["a", "shared", "redis ready"]);
  });
});
