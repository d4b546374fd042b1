// Risk-scoring cost per check: the engine with the in-memory store (goal ≤ 10 µs) and with Redis
// (round trips per check and µs per check), on a synthetic but state-heavy population.
//
//   npm run bench:risk                 # defaults
//   npm run bench:risk -- --checks 50000 --rounds 7 [--memory-only | --redis-only]
//
// Method: rounds interleave A (full `assess`: observation, store call, nine signals, combination)
// with B (`score` alone over a precomputed snapshot: the pure signal maths) so machine noise hits
// both alike; medians of the rounds are reported with CPU time per check (process.cpuUsage).
// Redis: a real redis-server on a free loopback port; round trips are counted at the client (every
// command ioredis sends) and cross-checked with the server's EVALSHA/EVAL call counts.
import {
  createRiskEngine,
  type FallbackStore,
  type MemoryStore,
  type RiskContext,
} from "../authz-server/src/risk/index.ts";
import { startRedis } from "../scripts/lib/redis.ts";
import { numberOption } from "./lib/cli-args.ts";
import { median } from "./lib/stats.ts";

const CHECKS = numberOption("checks", 20_000);
const ROUNDS = numberOption("rounds", 5);
const PRINCIPALS = 1000;

/** A risk config with realistic table sizes: 2000 reputation blocks, 200 geo blocks, 20 route rules. */
function benchConfig() {
  const block = (i: number) => `${10 + (i % 200)}.${(i * 7) % 256}.${(i * 13) % 256}.0/24`;
  return {
    ipReputation: {
      deny: Array.from({ length: 1000 }, (_, i) => block(i)),
      anonymizer: Array.from({ length: 500 }, (_, i) => `2001:db8:${i.toString(16)}::/48`),
      suspect: Array.from({ length: 500 }, (_, i) => `172.${16 + (i % 16)}.${i % 256}.0/24`),
    },
    travel: {
      locations: Array.from({ length: 200 }, (_, i) => ({
        cidr: `100.${i}.0.0/16`,
        lat: -60 + (i % 120),
        lon: -170 + ((i * 17) % 340),
        country: `C${i % 50}`,
      })),
    },
    sensitivity: {
      routes: Array.from({ length: 20 }, (_, i) => ({ prefix: `/api/v${i}/`, level: i % 2 ? "high" : "medium" })),
    },
  };
}

function contexts(): RiskContext[] {
  const nowS = Date.UTC(2026, 0, 5, 12) / 1000;
  return Array.from({ length: PRINCIPALS * 4 }, (_, i) => ({
    identity: {
      subject: `user-${i % PRINCIPALS}`,
      issuer: "https://idp.bench",
      claims: { iat: nowS - (i % 7200), amr: i % 3 ? ["pwd"] : ["mfa"], sid: `s-${i % PRINCIPALS}`, jti: `j-${i}` },
      authenticated: true,
    },
    sourceIp: `100.${i % 200}.${(i >> 3) % 256}.${i % 251}`,
    headers: { "user-agent": `bench-agent/${i % 5}`, "x-device-id": `dev-${i % (PRINCIPALS * 2)}` },
    method: i % 4 ? "GET" : "POST",
    path: `/api/v${i % 20}/items/${i}`,
    contextExtensions: {},
  }));
}

async function timeLoop(n: number, body: (i: number) => unknown): Promise<{ wallUs: number; cpuUs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await body(i);
  const wall = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wallUs: wall / n, cpuUs: (cpu.user + cpu.system) / n };
}

async function memoryBench(): Promise<void> {
  const engine = createRiskEngine({ config: benchConfig() });
  const ctxs = contexts();
  let now = Date.UTC(2026, 0, 5, 12);
  // Warm-up: builds profiles for every principal (so the state-driven signals have history).
  for (let i = 0; i < 4 * ctxs.length; i++) {
    now += 50;
    await engine.assess(ctxs[i % ctxs.length] as RiskContext, now);
  }
  const fixed = ctxs.map((c) => {
    const o = engine.observationFor(c, now);
    return { c, o, s: (engine.store as MemoryStore).observeNow(o) };
  });
  const a: Array<{ wallUs: number; cpuUs: number }> = [];
  const b: Array<{ wallUs: number; cpuUs: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(await timeLoop(CHECKS, (i) => engine.assess(ctxs[i % ctxs.length] as RiskContext, now + 5 * i)));
    now += 5 * CHECKS;
    b.push(
      await timeLoop(CHECKS, (i) => {
        const f = fixed[i % fixed.length] as (typeof fixed)[number];
        return engine.score(f.c, f.o, f.s, now);
      }),
    );
  }
  const A = { wall: median(a.map((x) => x.wallUs)), cpu: median(a.map((x) => x.cpuUs)) };
  const B = { wall: median(b.map((x) => x.wallUs)), cpu: median(b.map((x) => x.cpuUs)) };
  console.log(
    `in-memory store: ${CHECKS} checks × ${ROUNDS} rounds, ${PRINCIPALS} principals, 2000 reputation + 200 geo blocks`,
  );
  console.log(
    `  assess (full):        ${A.wall.toFixed(2)} µs/check wall, ${A.cpu.toFixed(2)} µs/check CPU  (goal ≤ 10 µs)`,
  );
  console.log(`  score (signals only): ${B.wall.toFixed(2)} µs/check wall, ${B.cpu.toFixed(2)} µs/check CPU`);
  console.log(`  ratio assess/score:   ${(A.wall / B.wall).toFixed(2)}`);
}

async function redisBench(): Promise<void> {
  const server = await startRedis();
  // 1 s command timeout: on a loaded machine a 100 ms stall would switch the store to local state
  // and the run would measure the fallback instead of Redis (the fallback count is printed).
  const engine = createRiskEngine({
    config: benchConfig(),
    redis: { url: server.url, keyPrefix: "bench:", commandTimeoutMs: 1000 },
  });
  const store = engine.store as FallbackStore;
  try {
    for (let i = 0; i < 100 && store.stats().mode !== "shared"; i++) await new Promise((r) => setTimeout(r, 20));
    const sent = new Map<string, number>();
    const redis = store.redis;
    const original = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      sent.set(command.name, (sent.get(command.name) ?? 0) + 1);
      return (original as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof redis.sendCommand;
    const ctxs = contexts();
    let now = Date.UTC(2026, 0, 5, 12);
    for (let i = 0; i < 2 * ctxs.length; i++) {
      now += 50;
      await engine.assess(ctxs[i % ctxs.length] as RiskContext, now);
    }
    const n = Math.ceil(Math.min(CHECKS, 10_000) / 64) * 64;
    sent.clear();
    const before = await serverStats(server.url);
    const seq = await timeLoop(n, (i) => engine.assess(ctxs[i % ctxs.length] as RiskContext, now + 5 * i));
    now += 5 * n;
    const afterSeq = await serverStats(server.url);
    const sentSeq = Object.fromEntries(sent);
    const clientCommands = [...sent.values()].reduce((x, y) => x + y, 0);
    // Concurrent: 64 checks in flight, as a busy server would have.
    sent.clear();
    const conc0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i += 64)
      await Promise.all(
        Array.from({ length: 64 }, (_, k) => engine.assess(ctxs[(i + k) % ctxs.length] as RiskContext, now + i + k)),
      );
    const concUs = Number(process.hrtime.bigint() - conc0) / 1000 / n;
    const cpu = process.cpuUsage(cpu0);
    const afterConc = await serverStats(server.url);
    const per = (x: number) => (x / n).toFixed(3);
    const serverCpuUs = (a: ServerStats, b: ServerStats) => (((b.cpuS - a.cpuS) * 1e6) / n).toFixed(1);
    console.log(
      `redis store (redis-server on 127.0.0.1:${server.port}): ${n} checks sequential, then ${n} with 64 in flight`,
    );
    console.log(
      `  round trips per check (commands the client sent): ${per(clientCommands)}  ${JSON.stringify(sentSeq)}`,
    );
    console.log(
      `  server EVALSHA+EVAL calls per check:              ${per(afterSeq.scriptCalls - before.scriptCalls)}`,
    );
    console.log(
      `  sequential:   ${seq.wallUs.toFixed(1)} µs/check wall, ${seq.cpuUs.toFixed(1)} µs/check CPU here, ${serverCpuUs(before, afterSeq)} µs/check CPU in redis-server`,
    );
    const concCommands = [...sent.values()].reduce((x, y) => x + y, 0);
    console.log(
      `  64 in flight: ${concUs.toFixed(1)} µs/check wall, ${((cpu.user + cpu.system) / n).toFixed(1)} µs/check CPU here, ${serverCpuUs(afterSeq, afterConc)} µs/check CPU in redis-server, ${per(concCommands)} round trips per check`,
    );
    console.log(`  fallbacks during the run: ${store.stats().fallbacks}`);
  } finally {
    await engine.close();
    await server.stop();
  }
}

interface ServerStats {
  scriptCalls: number;
  /** used_cpu_user + used_cpu_sys of the redis-server process, seconds. */
  cpuS: number;
}

async function serverStats(url: string): Promise<ServerStats> {
  const { Redis } = await import("ioredis");
  const c = new Redis(url);
  const text = await c.info("all");
  c.disconnect();
  let scriptCalls = 0;
  for (const m of text.matchAll(/cmdstat_(evalsha|eval):calls=(\d+)/g)) scriptCalls += Number(m[2]);
  const cpu = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(text)?.[1] ?? 0);
  return { scriptCalls, cpuS: cpu("used_cpu_user") + cpu("used_cpu_sys") };
}

const only = process.argv.includes("--memory-only")
  ? "memory"
  : process.argv.includes("--redis-only")
    ? "redis"
    : "both";
if (only !== "redis") await memoryBench();
if (only !== "memory") await redisBench();
