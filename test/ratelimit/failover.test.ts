// The failover between Redis and the domain's failure mode, on a real redis-server that is
// stalled (SIGSTOP), resumed, killed and restarted: a decision never waits past its budget, a
// domain with failure_mode_deny refuses, the others decide on local buckets with their share of
// the limit, and shared decisions resume without a restart.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailoverDecider, type StoreDecision } from "../../authz-server/src/ratelimit/failover-store.ts";
import { MemoryRateStore } from "../../authz-server/src/ratelimit/memory-store.ts";
import { RedisRateStore } from "../../authz-server/src/ratelimit/redis-store.ts";
import { type RunningRedis, startRedis } from "../../scripts/lib/redis.ts";
import { meshDomain, T0_US } from "./fixtures.ts";
import { charge } from "./store-cases.ts";

const mesh = meshDomain();
const strict = { ...mesh, failureModeDeny: true };
const halved = { ...mesh, fallbackShare: 0.5 };

let server: RunningRedis | undefined;
let decider: FailoverDecider | undefined;
const transitions: string[] = [];
const fallbacks: string[] = [];

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  server = await startRedis();
  const client = new Redis(server.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: 1000,
    retryStrategy: () => 50,
  });
  let now = T0_US;
  decider = new FailoverDecider(
    new RedisRateStore(client),
    new MemoryRateStore(() => (now += 1)), // local time barely moves: the buckets do not refill
    {
      timeoutMs: 200,
      probeIntervalMs: 50,
      hooks: {
        onModeChange: (mode) => transitions.push(mode),
        onFallback: (_domain, by, reason) => fallbacks.push(`${by}:${reason}`),
      },
    },
  );
  await until("shared", () => decider?.status().store === "shared");
});

afterAll(async () => {
  await decider?.close();
  await server?.stop();
});

const one = (name: string, bucket: string) => [charge(name, bucket)];

async function timed(pending: Promise<StoreDecision>): Promise<StoreDecision & { ms: number }> {
  const started = performance.now();
  const decision = await pending;
  return { ...decision, ms: performance.now() - started };
}

describe("FailoverDecider", () => {
  it("decides on Redis while it answers", async () => {
    const d = await (decider as FailoverDecider).decide(mesh, one("per-subject", "subject=a"), undefined);
    expect(d.source).toBe("redis");
    expect(d.results[0]).toMatchObject({ admitted: true, remaining: 9 });
  });

  it("on a stalled Redis answers within the request's deadline, then locally without waiting", async () => {
    const child = server?.process.child;
    child?.kill("SIGSTOP");
    try {
      const d = decider as FailoverDecider;
      const first = await timed(d.decide(halved, one("per-subject", "subject=b"), performance.now() + 15));
      expect(first.source).toBe("local");
      // Decided by the 13 ms budget (deadline less the margin), not by the client's 1 s command
      // timeout; on a loaded machine the event loop may run the timer some ms late.
      expect(first.ms).toBeLessThan(100);
      expect(fallbacks.at(-1)).toBe("local:timeout");
      expect(d.status().store).toBe("local");
      // Local buckets with half the limit: burst 10 × 0.5 = 5.
      const next = [];
      for (let i = 0; i < 6; i++) next.push(await timed(d.decide(halved, one("per-subject", "subject=b"), undefined)));
      expect(next.map((x) => x.results[0]?.admitted)).toEqual([true, true, true, true, false, false]);
      // No wait for Redis (its budget is 200 ms): decided at once, whatever the machine's load.
      expect(Math.max(...next.map((x) => x.ms))).toBeLessThan(100);
      expect(fallbacks.at(-1)).toBe("local:unavailable");
      // failure_mode_deny: enforced limits refuse, shadow ones say nothing.
      const denied = await d.decide(
        strict,
        [charge("per-subject", "subject=c"), charge("canary", "canary=c")],
        undefined,
      );
      expect(denied.source).toBe("deny");
      expect(denied.results.map((r) => r.admitted)).toEqual([false, true]);
      expect(denied.results[0]).toMatchObject({ retryUs: 1_000_000 });
      // Two worker processes of one replica share its fallback share: burst 10 × 0.5 / 2 = 2.5.
      const workers = new FailoverDecider(
        new RedisRateStore(new Redis(server?.url as string, { lazyConnect: true, enableOfflineQueue: false })),
        new MemoryRateStore(() => T0_US),
        { timeoutMs: 50, shareDivisor: 2 },
      );
      const perWorker = [];
      for (let i = 0; i < 4; i++)
        perWorker.push((await workers.decide(halved, one("per-subject", "subject=w"), undefined)).results[0]?.admitted);
      expect(perWorker).toEqual([true, true, false, false]);
      await workers.close();
    } finally {
      child?.kill("SIGCONT");
    }
    await until("shared again", () => decider?.status().store === "shared");
    expect(transitions.slice(-2)).toEqual(["local", "shared"]);
    expect((await (decider as FailoverDecider).decide(mesh, one("per-subject", "subject=b"), undefined)).source).toBe(
      "redis",
    );
  });

  it("never waits when the deadline leaves no time, and survives Redis killed and restarted", async () => {
    const d = decider as FailoverDecider;
    await until("shared", () => d.status().store === "shared");
    const late = await d.decide(mesh, one("per-subject", "subject=d"), performance.now() + 1);
    expect(late.source).toBe("local");
    expect(fallbacks.at(-1)).toBe("local:timeout");
    // The too-late call alone does not switch this replica off Redis.
    expect(d.status().store).toBe("shared");
    const port = server?.port as number;
    await server?.stop({ kill: true });
    await until("local", () => d.status().store === "local");
    expect((await d.decide(mesh, one("per-subject", "subject=d"), undefined)).source).toBe("local");
    server = await startRedis({ port });
    await until("shared after restart", () => d.status().store === "shared", 15_000);
    const back = await d.decide(mesh, one("per-subject", "subject=d"), undefined);
    expect(back).toMatchObject({ source: "redis", results: [{ admitted: true, remaining: 9 }] });
  });
});
