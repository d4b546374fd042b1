// The Redis store on a real three-node Redis Cluster through ioredis's Cluster client: every
// request's script runs on the node owning its domain's hash slot (the keys of one call share
// `{<domain>}`), the store cases hold as on one node, and domains spread over the nodes.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import calculateSlot from "cluster-key-slot";
import { Cluster, Redis } from "ioredis";
import pino from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRateStore } from "../../authz-server/src/ratelimit/redis-store.ts";
import { createRateLimitRuntime } from "../../authz-server/src/ratelimit/runtime.ts";
import { type RunningRedisCluster, startRedisCluster } from "../../scripts/lib/redis-cluster.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";
import { MESH_RULES, request, T0_US } from "./fixtures.ts";
import { charge, STORE_CASES, withClock } from "./store-cases.ts";

let cluster: RunningRedisCluster | undefined;
let client: Cluster | undefined;
let n = 0;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  client = new Cluster(cluster.nodes.map((node) => ({ host: "127.0.0.1", port: node.port })));
  await new Promise<void>((resolve, reject) => {
    client?.once("ready", () => resolve());
    client?.once("error", reject);
  });
});

afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

function onCluster() {
  const s = withClock((clock) => new RedisRateStore(client as Cluster, { keyPrefix: `c${++n}:`, nowUs: clock }));
  return { ...s, store: s.store as RedisRateStore };
}

describe("RedisRateStore on a Redis Cluster", () => {
  for (const [name, run] of Object.entries(STORE_CASES)) it(name, () => run(onCluster()));

  it("keeps each domain's keys on the node owning its slot, and spreads domains over the nodes", async () => {
    const { store, setNow } = onCluster();
    setNow(T0_US);
    const owners = new Set<number>();
    for (const domain of ["mesh", "orders", "ingress", "payments", "search", "catalog"]) {
      const charges = [charge("global", "generic_key=global"), charge("per-subject", "subject=x")];
      await store.charge(domain, charges);
      const keys = charges.flatMap((c) => store.keys(domain, c));
      const slots = new Set(keys.map((k) => calculateSlot(k)));
      expect(slots.size).toBe(1);
      // Exactly one node holds keys in that slot (asked directly, not through the cluster client).
      const holders: number[] = [];
      for (const node of cluster?.nodes ?? []) {
        const direct = new Redis(node.url);
        try {
          const count = Number(await direct.call("CLUSTER", "COUNTKEYSINSLOT", String([...slots][0])));
          if (count > 0) holders.push(node.port);
        } finally {
          direct.disconnect();
        }
      }
      expect(holders).toHaveLength(1);
      owners.add(holders[0] as number);
    }
    expect(owners.size).toBeGreaterThan(1);
  });

  it("serves ShouldRateLimit from the server's runtime configured with clusterNodes", async () => {
    const dir = scratchDir("mw-rl-cluster");
    writeFileSync(join(dir, "rules.yaml"), MESH_RULES);
    const runtime = createRateLimitRuntime(
      {
        rulesFile: join(dir, "rules.yaml"),
        pollIntervalMs: 0,
        headers: "limited",
        bounds: { maxDescriptors: 8, maxEntries: 4, maxValueLength: 256 },
        redis: { clusterNodes: cluster?.urls ?? [], timeoutMs: 1000, keyPrefix: "rt:" },
      },
      { registry: new Registry(), logger: pino({ level: "silent" }) },
    );
    try {
      const deadline = Date.now() + 10_000;
      while (runtime.status().store !== "shared" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(runtime.status().store).toBe("shared");
      const r = await runtime.service.shouldRateLimit(
        request("mesh", [["subject", "zoe"]], [["generic_key", "global"]]),
      );
      expect(r.statuses.map((s) => s.limitRemaining)).toEqual([9, 49]);
      const keys = (
        await Promise.all(
          (cluster?.nodes ?? []).map(async (node) => {
            const direct = new Redis(node.url);
            try {
              return await direct.keys("rt:*");
            } finally {
              direct.disconnect();
            }
          }),
        )
      ).flat();
      expect(keys).toContain("rt:{mesh}:b:subject=zoe");
    } finally {
      await runtime.close();
    }
  });
});
