// A real Redis Cluster on loopback for tests: `n` redis-server nodes in cluster mode (no replicas),
// the 16384 hash slots split evenly among them (CLUSTER ADDSLOTSRANGE), joined with CLUSTER MEET,
// ready once every node reports `cluster_state:ok`. Cluster config files live in a scratch
// directory removed on stop.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { freePort, type RunningRedis, startRedis } from "./redis.ts";

export interface RunningRedisCluster {
  nodes: RunningRedis[];
  /** `redis://127.0.0.1:<port>` of every node. */
  urls: string[];
  stop(): Promise<void>;
}

const SLOTS = 16384;

export async function startRedisCluster(n = 3): Promise<RunningRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), "meshward-redis-cluster-"));
  const nodes: RunningRedis[] = [];
  const busPorts: number[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < n; i++) {
      const busPort = await freePort();
      busPorts.push(busPort);
      // biome-ignore format: one flag and its value per line
      const extraArgs = [
        "--cluster-enabled", "yes",
        "--cluster-config-file", join(dir, `nodes-${i}.conf`),
        "--cluster-port", String(busPort),
        "--cluster-node-timeout", "2000",
      ];
      nodes.push(await startRedis({ extraArgs }));
    }
    const clients = nodes.map((node) => new Redis(node.url));
    try {
      for (let i = 0; i < n; i++) {
        const first = Math.floor((i * SLOTS) / n);
        const last = Math.floor(((i + 1) * SLOTS) / n) - 1;
        await clients[i]?.call("CLUSTER", "ADDSLOTSRANGE", String(first), String(last));
      }
      // The bus port is not port + 10000 here, so MEET names it (Redis ≥ 7).
      for (let i = 1; i < n; i++)
        await clients[0]?.call("CLUSTER", "MEET", "127.0.0.1", String(nodes[i]?.port), String(busPorts[i]));
      const deadline = Date.now() + 20_000;
      for (;;) {
        const states = await Promise.all(clients.map((c) => c.call("CLUSTER", "INFO") as Promise<string>));
        if (states.every((s) => /cluster_state:ok/.test(s) && new RegExp(`cluster_known_nodes:${n}\\b`).test(s))) break;
        if (Date.now() > deadline) throw new Error(`redis cluster not ready: ${states[0]}`);
        await sleep(100);
      }
    } finally {
      for (const c of clients) c.disconnect();
    }
    return { nodes, urls: nodes.map((node) => node.url), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
