// The Redis store against a real redis-server started on a free loopback port: the Lua scripts
// behave exactly like the in-memory store, and one check costs one round trip.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../../authz-server/src/risk/store/memory-store.ts";
import { RedisStore } from "../../authz-server/src/risk/store/redis-store.ts";
import type { RiskStore } from "../../authz-server/src/risk/store/types.ts";
import { type RunningRedis, startRedis } from "../../scripts/lib/redis.ts";
import { LIMITS, obs, T0 } from "./fixtures.ts";

let server: RunningRedis | undefined;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

function client(): Redis {
  const c = new Redis(server?.url as string, { maxRetriesPerRequest: 0 });
  clients.push(c);
  return c;
}

/** Drives a store through a scripted history and returns every snapshot it produced. */
async function script(store: RiskStore) {
  const paris = { lat: 48.8566, lon: 2.3522, country: "FR" };
  const out: unknown[] = [];
  await store.recordFailure("alice", "192.0.2.1", T0 - 70_000); // outside the 60 s window later
  for (let i = 0; i < 7; i++) await store.recordFailure("alice", "192.0.2.1", T0 + i); // capped at 5
  await store.recordFailure(null, "192.0.2.9", T0);
  await store.recordFailure("carol", "192.0.2.77", T0 - 70_000); // exactly one window before two steps below
  await store.applyEvent({ kind: "subject", id: "alice" }, { credentialChangedAtMs: T0 }, T0);
  await store.applyEvent({ kind: "subject", id: "alice" }, { credentialChangedAtMs: T0 - 5, revokedAtMs: T0 - 1 }, T0);
  await store.applyEvent({ kind: "session", id: "s|1" }, { riskLevel: "high", riskLevelUntilMs: T0 + 9 }, T0);
  const steps = [
    obs(T0 + 10, { fingerprint: "f1", location: paris, hour: 12, session: "s|1", token: "t1" }),
    obs(T0 + 20, { fingerprint: "f1", hour: 12 }),
    obs(T0 + 10_000, { fingerprint: "f2", hour: 13, ip: "192.0.2.9" }),
    obs(T0 + 20_000, { fingerprint: "f3", location: { ...paris, country: "F|R" } }),
    obs(T0 + 50_000, { fingerprint: "f1", principal: "alice" }),
    obs(T0 + 60_005, { principal: null, ip: "192.0.2.1" }),
    obs(T0 + 60_006, { principal: "bob", ip: null }),
    obs(T0 - 10_001, { principal: "carol", ip: "192.0.2.77" }), // both windows still hold it
    obs(T0 - 10_000, { principal: "carol", ip: null }), // the principal window (60 s) has just closed
    obs(T0 + 50_000, { principal: null, ip: "192.0.2.77" }), // the IP window (120 s) has just closed
  ];
  // Cloned at once: the memory store hands out its live collections (valid until its next call).
  for (const step of steps) out.push(structuredClone(await store.observe(step)));
  return out;
}

/** The commands clients sent while `body` ran (MONITOR; the scripts' inner calls excluded). */
async function watch(marker: Redis, body: () => Promise<void>): Promise<string[]> {
  const monitor = await client().monitor();
  const seen: string[] = [];
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (!source.startsWith("lua") && args[0]?.toLowerCase() !== "monitor") seen.push(args[0]?.toLowerCase() ?? "");
  });
  await new Promise((r) => setTimeout(r, 50));
  await body();
  await marker.ping(); // everything before it has been seen by MONITOR once it arrives
  for (let waited = 0; !seen.includes("ping") && waited < 2000; waited += 10)
    await new Promise((r) => setTimeout(r, 10));
  monitor.disconnect();
  return seen.filter((c) => c !== "ping");
}

describe("RedisStore (real redis-server)", () => {
  it("matches the in-memory store snapshot for snapshot", async () => {
    const expected = await script(new MemoryStore(LIMITS));
    const actual = await script(new RedisStore(client(), LIMITS, { keyPrefix: "parity:" }));
    expect(actual).toEqual(expected);
    expect(expected[0]).toMatchObject({ principalFailures: 5, ipFailures: 5, sessionEvents: { riskLevel: "high" } });
    expect(
      (expected as Array<{ principalFailures: number; ipFailures: number }>)
        .slice(-3)
        .map((s) => [s.principalFailures, s.ipFailures]),
    ).toEqual([
      [1, 1],
      [0, 0],
      [0, 0],
    ]);
  });

  it("sets TTLs on every key it writes", async () => {
    const redis = client();
    const store = new RedisStore(redis, LIMITS, { keyPrefix: "ttl:" });
    await store.recordFailure("alice", "192.0.2.1", T0);
    await store.observe(obs(T0, { fingerprint: "f", location: { lat: 1, lon: 2, country: "X" }, hour: 3 }));
    await store.applyEvent({ kind: "token", id: "t" }, { revokedAtMs: T0 }, T0);
    const keys = await redis.keys("ttl:*");
    expect(keys.sort()).toEqual([
      "ttl:d:alice",
      "ttl:et:t",
      "ttl:fi:192.0.2.1",
      "ttl:fp:alice",
      "ttl:h:alice",
      "ttl:l:alice",
      "ttl:r:alice",
    ]);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(LIMITS.profileTtlMs);
    }
  });

  it("keeps event state as long as its longest effect, never shortening it", async () => {
    const redis = client();
    const store = new RedisStore(redis, LIMITS, { keyPrefix: "evttl:" });
    const memory = new MemoryStore(LIMITS);
    const floor = { riskLevel: "high" as const, riskLevelUntilMs: T0 + 2 * LIMITS.eventTtlMs };
    for (const s of [store, memory]) {
      await s.applyEvent({ kind: "subject", id: "al" }, floor, T0);
      await s.applyEvent({ kind: "subject", id: "al" }, { revokedAtMs: T0 }, T0); // shorter TTL
    }
    const ttl = await redis.pttl("evttl:es:al");
    expect(ttl).toBeGreaterThan(LIMITS.eventTtlMs);
    expect(ttl).toBeLessThanOrEqual(2 * LIMITS.eventTtlMs);
    const later = T0 + LIMITS.eventTtlMs + 1;
    expect((await memory.observe(obs(later, { principal: "al" }))).subjectEvents).toMatchObject(floor);
  });

  it("serves the observes of one event-loop turn with one EVALSHA, each as if sent alone", async () => {
    const steps = Array.from({ length: 60 }, (_, i) =>
      obs(T0 + i, {
        principal: `p${i % 4}`,
        ip: `192.0.2.${i % 3}`,
        fingerprint: `f${i % 5}`,
        hour: i % 24,
        session: i % 2 ? "s" : null,
      }),
    );
    const memory = new MemoryStore(LIMITS);
    await memory.recordFailure("p1", "192.0.2.1", T0 - 1);
    const expected = steps.map((o) => structuredClone(memory.observeNow(o)));
    const redis = client();
    const store = new RedisStore(redis, LIMITS, { keyPrefix: "batch:" });
    await store.recordFailure("p1", "192.0.2.1", T0 - 1); // also loads a script
    await store.observe(obs(T0 - 100_000_000, { principal: "warm-up" })); // loads the observe script
    const seen = await watch(redis, async () => {
      const actual = await Promise.all(steps.map((o) => store.observe(o)));
      expect(actual.map((s) => structuredClone(s))).toEqual(expected);
    });
    expect(seen).toEqual(["evalsha"]);
  });

  it("costs one round trip (one EVALSHA, nothing else) per observe", async () => {
    const redis = client();
    const store = new RedisStore(redis, LIMITS, { keyPrefix: "rtt:" });
    await store.observe(obs(T0)); // loads the script (EVALSHA → NOSCRIPT → EVAL) once
    const monitor = await client().monitor();
    const seen: string[] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (!source.startsWith("lua") && args[0]?.toLowerCase() !== "monitor") seen.push(args[0]?.toLowerCase() ?? "");
    });
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 1; i <= 20; i++)
      await store.observe(obs(T0 + i, { fingerprint: "f", session: "s", token: "t", hour: 1 }));
    await redis.ping(); // a marker: everything before it has been seen by MONITOR once it arrives
    for (let waited = 0; !seen.includes("ping") && waited < 2000; waited += 10)
      await new Promise((r) => setTimeout(r, 10));
    monitor.disconnect();
    expect(seen.filter((c) => c !== "ping")).toEqual(new Array(20).fill("evalsha"));
  });
});
