// RateLimitService cost: CPU per ShouldRateLimit call and latency at a fixed 1000 calls/s, for
// Meshward's service (the authz server process, buckets on Redis) and, with `--peer-ratelimit
// PATH`, envoyproxy/ratelimit (a binary built from a source snapshot; not installed by this
// repository) in the same interleaved run.
//
//   npm run bench:ratelimit -- [--peer-ratelimit PATH] [--rounds 4] [--calls 15000] [--rps 1000]
//                              [--listeners own|shared|own,shared]
//
// Both servers get the same rules file (envoyproxy/ratelimit's format, which Meshward reads), their
// own redis-server, and the same request: domain `mesh` with two descriptors, a global key and a
// subject (what Envoy sends for "global + per subject"), under the limits (the common case).
// Load: the pinned `ghz` at a constant rate with 16 workers. Per round and server: CPU time of the
// server process and of its Redis from /proc (clock ticks) over the measured calls, and ghz's
// latency percentiles. Rounds alternate the order; medians of the rounds and the per-round ratio
// Meshward / peer are reported.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type AuthzProcess, startAuthzProcess } from "../scripts/lib/authz-process.ts";
import { type ManagedProcess, startProcess } from "../scripts/lib/processes.ts";
import { freePort, type RunningRedis, startRedis } from "../scripts/lib/redis.ts";
import { rlsClient, rlsRequest } from "../scripts/lib/rls-client.ts";
import { runGrpcCheckLoad } from "./lib/ghz.ts";
import { provenance } from "./lib/machine.ts";
import { CLOCK_TICKS_PER_SECOND, cpuTicks } from "./lib/proc-cpu.ts";
import { median } from "./lib/stats.ts";

const ROUNDS = numberArg("rounds", 4);
const CALLS = numberArg("calls", 15_000);
const RPS = numberArg("rps", 1000);
const PEER = stringArg("peer-ratelimit");
/** Meshward variants: its own listener (the default deployment's) and/or the shared authz listener. */
const LISTENERS = (stringArg("listeners") ?? "own").split(",") as ("own" | "shared")[];

function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

const RULES = `# The benchmark's rules: both servers read this file.
domain: mesh
descriptors:
  - key: generic_key
    value: global
    rate_limit: { unit: second, requests_per_unit: 100000, name: global }
  - key: subject
    rate_limit: { unit: second, requests_per_unit: 10000, name: per-subject }
`;

/** Envoy's request for a route with "global" and "per subject" rate limits, in protojson. */
const REQUEST = {
  domain: "mesh",
  descriptors: [
    { entries: [{ key: "generic_key", value: "global" }] },
    { entries: [{ key: "subject", value: "user-42" }] },
  ],
};

const METHOD = {
  proto: "envoy/service/ratelimit/v3/rls.proto",
  call: "envoy.service.ratelimit.v3.RateLimitService.ShouldRateLimit",
};

interface Server {
  name: string;
  target: string;
  pid: number;
  redis: RunningRedis;
  stop(): Promise<void>;
}

/** Meshward's service on its own listener (as the manifests deploy it), or on the authz gRPC
 *  listener beside Check. */
async function meshward(dir: string, listener: "own" | "shared"): Promise<Server> {
  const redis = await startRedis();
  const config = join(dir, `meshward-${listener}.yaml`);
  writeFileSync(
    config,
    JSON.stringify({
      logging: { level: "warn", decisions: { enabled: false } },
      rateLimit: {
        rulesFile: join(dir, "ratelimit/config/rules.yaml"),
        redis: { url: redis.url },
        ...(listener === "own" ? { grpc: { port: 0 } } : {}),
      },
    }),
  );
  const authz: AuthzProcess = await startAuthzProcess(["--config", config]);
  return {
    name: listener === "own" ? "meshward (own listener)" : "meshward (authz listener)",
    target: `127.0.0.1:${listener === "own" ? authz.rateLimitPort : authz.grpcPort}`,
    pid: authz.process.pid,
    redis,
    async stop() {
      await authz.stop();
      await redis.stop();
    },
  };
}

/** envoyproxy/ratelimit on loopback, configured through its environment (its README, "Configuration"). */
async function peer(binary: string, dir: string): Promise<Server> {
  const redis = await startRedis();
  const [grpcPort, httpPort, debugPort] = [await freePort(), await freePort(), await freePort()];
  const env = {
    PATH: process.env.PATH,
    LOG_LEVEL: "warn",
    USE_STATSD: "false",
    REDIS_SOCKET_TYPE: "tcp",
    REDIS_URL: `127.0.0.1:${redis.port}`,
    RUNTIME_ROOT: dir,
    RUNTIME_SUBDIRECTORY: "ratelimit",
    RUNTIME_WATCH_ROOT: "false",
    RUNTIME_IGNOREDOTFILES: "true",
    HOST: "127.0.0.1",
    PORT: String(httpPort),
    GRPC_HOST: "127.0.0.1",
    GRPC_PORT: String(grpcPort),
    DEBUG_HOST: "127.0.0.1",
    DEBUG_PORT: String(debugPort),
  };
  const proc: ManagedProcess = startProcess("envoyproxy-ratelimit", binary, [], { env });
  const target = `127.0.0.1:${grpcPort}`;
  const client = rlsClient(target);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.call(rlsRequest("mesh", [["generic_key", "global"]]), 1000);
        break;
      } catch (err) {
        if (attempt > 100 || proc.child.exitCode !== null)
          throw new Error(
            `envoyproxy/ratelimit did not start: ${(err as Error).message}\n${proc.output().slice(-3000)}`,
          );
        await sleep(100);
      }
    }
  } finally {
    client.close();
  }
  return {
    name: "envoyproxy/ratelimit",
    target,
    pid: proc.pid,
    redis,
    async stop() {
      await proc.stop();
      await redis.stop();
    },
  };
}

interface Round {
  server: string;
  cpuUsPerCall: number;
  redisCpuUsPerCall: number;
  ticks: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  rps: number;
  errors: number;
}

async function round(server: Server): Promise<Round> {
  const load = (requests: number) =>
    runGrpcCheckLoad({ target: server.target, request: REQUEST, method: METHOD, requests, concurrency: 16, rps: RPS });
  await load(Math.min(3000, CALLS)); // warm-up: JIT, connections, script cache
  const before = [cpuTicks(server.pid), cpuTicks(server.redis.process.pid)] as const;
  const result = await load(CALLS);
  const ticks = cpuTicks(server.pid) - before[0];
  const redisTicks = cpuTicks(server.redis.process.pid) - before[1];
  const us = (t: number) => ((t / CLOCK_TICKS_PER_SECOND) * 1e6) / CALLS;
  return {
    server: server.name,
    cpuUsPerCall: us(ticks),
    redisCpuUsPerCall: us(redisTicks),
    ticks,
    p50Ms: result.latencyMs.p50,
    p90Ms: result.latencyMs.p90,
    p99Ms: result.latencyMs.p99,
    rps: result.throughputRps,
    errors: result.errors,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mw-bench-rl-"));
  mkdirSync(join(dir, "ratelimit/config"), { recursive: true });
  writeFileSync(join(dir, "ratelimit/config/rules.yaml"), RULES);
  const servers: Server[] = [];
  try {
    for (const listener of LISTENERS) servers.push(await meshward(dir, listener));
    if (PEER) servers.push(await peer(PEER, dir));
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Rotates the order every round, so no server always runs first or last.
      const order = servers.map((_, i) => servers[(i + r) % servers.length] as Server);
      for (const server of order) {
        const result = await round(server);
        rounds.push(result);
        console.log(
          `round ${r + 1} ${result.server}: ${result.cpuUsPerCall.toFixed(1)} µs CPU/call (${result.ticks} ticks), Redis ${result.redisCpuUsPerCall.toFixed(1)} µs/call, p50/p90/p99 ${result.p50Ms.toFixed(2)}/${result.p90Ms.toFixed(2)}/${result.p99Ms.toFixed(2)} ms at ${result.rps.toFixed(0)} calls/s, errors ${result.errors}`,
        );
      }
    }
    const summary = servers.map((s) => {
      const mine = rounds.filter((r) => r.server === s.name);
      const med = (f: (r: Round) => number) => median(mine.map(f));
      return {
        server: s.name,
        cpuUsPerCall: med((r) => r.cpuUsPerCall),
        redisCpuUsPerCall: med((r) => r.redisCpuUsPerCall),
        p50Ms: med((r) => r.p50Ms),
        p99Ms: med((r) => r.p99Ms),
        errors: mine.reduce((n, r) => n + r.errors, 0),
      };
    });
    // Per round, each Meshward variant's CPU per call over the peer's (the same round's).
    const peerName = PEER ? (servers.at(-1) as Server).name : undefined;
    const cpuOf = (name: string, r: number) => rounds.filter((x) => x.server === name)[r]?.cpuUsPerCall ?? Number.NaN;
    const ratios: Record<string, number[]> = {};
    if (peerName) {
      for (const s of servers.slice(0, -1))
        ratios[s.name] = Array.from({ length: ROUNDS }, (_, r) => cpuOf(s.name, r) / cpuOf(peerName, r));
    }
    const report = {
      provenance: provenance(),
      calls: CALLS,
      rps: RPS,
      rounds: ROUNDS,
      summary,
      cpuRatioPerRound: ratios,
    };
    console.log(JSON.stringify(report, null, 2));
    console.log("\n| server | CPU µs/call (median) | Redis CPU µs/call | p50 / p99 at 1000 calls/s (ms) | errors |");
    console.log("|---|---|---|---|---|");
    for (const s of summary)
      console.log(
        `| ${s.server} | ${s.cpuUsPerCall.toFixed(1)} | ${s.redisCpuUsPerCall.toFixed(1)} | ${s.p50Ms.toFixed(2)} / ${s.p99Ms.toFixed(2)} | ${s.errors} |`,
      );
    for (const [name, r] of Object.entries(ratios))
      console.log(
        `${name} / peer, CPU per call per round: ${r.map((x) => x.toFixed(2)).join(" ")} (median ${median(r).toFixed(2)})`,
      );
  } finally {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
