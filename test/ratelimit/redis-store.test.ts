// The Redis store on a real redis-server: the same store cases as in memory (same clock readings,
// so the Lua script and the TypeScript must agree), one round trip per request, keys in one
// Cluster hash slot with expiries, a bounded key count under a flood of values.
import calculateSlot from "cluster-key-slot";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRateStore } from "../../authz-server/src/ratelimit/redis-store.ts";
import { type RunningRedis, startRedis } from "../../scripts/lib/redis.ts";
import { charge, STORE_CASES, withClock } from "./store-cases.ts";

let server: RunningRedis | undefined;
let client: Redis | undefined;
let n = 0;

beforeAll(async () => {
  server = await startRedis();
  client = new Redis(server.url);
});

afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

/** A store on its own key prefix, deciding at a settable instant. */
function onRedis() {
  const s = withClock((clock) => new RedisRateStore(client as Redis, { keyPrefix: `t${++n}:`, nowUs: clock }));
  return { ...s, store: s.store as RedisRateStore };
}

async function commandCalls(command: string): Promise<number> {
  const info = await (client as Redis).info("commandstats");
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe("RedisRateStore on a real redis-server", () => {
  for (const [name, run] of Object.entries(STORE_CASES)) it(name, () => run(onRedis()));

  it("decides all descriptors of a request in one round trip, keys in one hash slot, with expiries", async () => {
    const store = new RedisRateStore(client as Redis, { keyPrefix: `t${++n}:` }); // Redis's clock: real expiries
    const charges = [
      charge("global", "generic_key=global"),
      charge("per-subject", "subject=zed"),
      charge("high-risk", "risk_level=high|subject=zed"),
    ];
    await store.charge("mesh", charges); // loads the script (EVALSHA → NOSCRIPT → EVAL) once
    const before = (await commandCalls("evalsha")) + (await commandCalls("eval"));
    for (let i = 0; i < 5; i++) await store.charge("mesh", charges);
    expect((await commandCalls("evalsha")) + (await commandCalls("eval")) - before).toBe(5);
    const keys = charges.flatMap((c) => store.keys("mesh", c));
    expect(new Set(keys.map((k) => calculateSlot(k))).size).toBe(1);
    expect(keys[0]).toBe(`t${n}:{mesh}:b:generic_key=global`);
    // Each bucket expires when it would be full again (6 requests of a 50-burst, 100/s rule: 60 ms).
    const ttl = await (client as Redis).pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await (client as Redis).pttl(`t${n}:{mesh}:v:subject`)).toBeGreaterThan(0);
  });

  it("keeps the key count bounded under a flood of distinct values", async () => {
    const store = new RedisRateStore(client as Redis, { keyPrefix: `t${++n}:` }); // Redis's clock: real expiries
    for (let i = 0; i < 2000; i++) await store.charge("mesh", [charge("per-subject", `subject=flood-${i}`)]);
    // A key's expiry is rounded up to the ms, so it may outlive its set entry by under 1 ms.
    await new Promise((r) => setTimeout(r, 5));
    const keys = await (client as Redis).keys(`t${n}:*`);
    // At most max_values (3) live buckets, the overflow bucket and the rule's value set; buckets that
    // were full again (100 ms after their last charge) made room for later values.
    expect(keys.length).toBeLessThanOrEqual(5);
    expect(keys).toContain(`t${n}:{mesh}:o:subject`);
    expect(await (client as Redis).zcard(`t${n}:{mesh}:v:subject`)).toBeLessThanOrEqual(3);
  });

  it("uses Redis's clock when none is pinned", async () => {
    const store = new RedisRateStore(client as Redis, { keyPrefix: `t${++n}:` });
    const [first] = await store.charge("mesh", [charge("per-subject", "subject=clock")]);
    expect(first).toMatchObject({ admitted: true, remaining: 9 });
    expect(first?.resetUs).toBe(100_000);
  });
});
