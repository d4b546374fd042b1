// Tier 4: ext_authz servers under gRPC load, as Envoy drives them, interleaved in one run: Meshward
// with decision logs off and on, the peer opa-envoy-plugin likewise when its binary is given
// (`--peer-opa-envoy PATH`), and Meshward's risk engine on the in-memory store and on Redis. Each
// round loads every server once, in an order rotated every round: a fixed request count at high
// concurrency (throughput, and the server's CPU per check from /proc, worker processes included),
// then a fixed 1000 checks/s (latency percentiles from ghz). Goals are judged on per-round ratios
// (authz-goals.ts).
import { loadavg } from "node:os";
import { type RunningRedis, startRedis } from "../../scripts/lib/redis.ts";
import { runGrpcCheckLoad } from "../lib/ghz.ts";
import { CLOCK_TICKS_PER_SECOND } from "../lib/proc-cpu.ts";
import { median } from "../lib/stats.ts";
import type { RoundFigures, TierRounds } from "./authz-goals.ts";
import { meshwardVariant, opaEnvoyVariant, type RunningServer, type ServerVariant } from "./authz-servers.ts";

export interface AuthzLoadOptions {
  rounds: number;
  saturationRequests: number;
  saturationConcurrency: number;
  /** HTTP/2 connections ghz spreads its workers over (a mesh's Envoys open many). */
  connections: number;
  fixedRateRequests: number;
  fixedRps: number;
  /** opa-envoy-plugin binary; without it the peer is not measured. */
  peerOpaEnvoy?: string;
  /** Also measure the risk engine on the in-memory store and on a real redis-server. */
  risk: boolean;
  /** Other checkouts of this repository to measure beside this one (A/B), logs off and on. */
  compare?: { name: string; root: string }[];
}

export interface VariantSummary {
  name: string;
  rounds: RoundFigures[];
  throughputRps: number;
  cpuUsPerCheck: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  ticks: number;
}

export interface AuthzLoadResult {
  options: AuthzLoadOptions;
  variants: VariantSummary[];
  rounds: TierRounds;
  loadAverage: { start: number[]; end: number[] };
}

/** An allowed request for the default policy (GET /public/…), with the headers Envoy typically sends. */
export const SAMPLE_CHECK = {
  attributes: {
    source: { address: { socketAddress: { address: "10.0.0.7", portValue: 51234 } } },
    destination: { address: { socketAddress: { address: "10.0.0.9", portValue: 8080 } } },
    request: {
      http: {
        id: "bench-1",
        method: "GET",
        path: "/public/items?page=2",
        host: "shop.example.com",
        scheme: "http",
        protocol: "HTTP/1.1",
        headers: {
          ":authority": "shop.example.com",
          ":method": "GET",
          ":path": "/public/items?page=2",
          "user-agent": "bench/1.0",
          accept: "application/json",
          "x-request-id": "bench-1",
        },
      },
    },
  },
};

/** SAMPLE_CHECK from an mTLS peer: the risk engine then keeps state for a principal (its SPIFFE ID). */
export const SAMPLE_CHECK_WITH_PEER = {
  attributes: {
    ...SAMPLE_CHECK.attributes,
    source: { ...SAMPLE_CHECK.attributes.source, principal: "spiffe://cluster.local/ns/shop/sa/web" },
  },
};

export const MESHWARD_LOGS_OFF = "Meshward, decision logs off";
export const MESHWARD_LOGS_ON = "Meshward, decision logs on";
export const PEER_LOGS_OFF = "opa-envoy-plugin, decision logs off";
export const PEER_LOGS_ON = "opa-envoy-plugin, decision logs on (console)";
export const RISK_MEMORY = "Meshward + risk engine, in-memory store";
export const RISK_REDIS = "Meshward + risk engine, Redis store";

/** Risk config of the risk variants: failures are not counted for allowed checks anyway. */
const riskYaml = (redisUrl?: string) =>
  `risk:\n  config: {}\n${redisUrl ? `  redisUrl: "${redisUrl}"\n  redisCommandTimeoutMs: 1000\n` : ""}`;

interface Planned {
  variant: ServerVariant;
  request: unknown;
}

function plan(options: AuthzLoadOptions, redis: RunningRedis | undefined): Planned[] {
  const out: Planned[] = [
    { variant: meshwardVariant({ name: MESHWARD_LOGS_OFF, decisionLogs: false }), request: SAMPLE_CHECK },
    { variant: meshwardVariant({ name: MESHWARD_LOGS_ON, decisionLogs: true }), request: SAMPLE_CHECK },
  ];
  if (options.peerOpaEnvoy) {
    out.push(
      { variant: opaEnvoyVariant(PEER_LOGS_OFF, options.peerOpaEnvoy, false), request: SAMPLE_CHECK },
      { variant: opaEnvoyVariant(PEER_LOGS_ON, options.peerOpaEnvoy, true), request: SAMPLE_CHECK },
    );
  }
  if (redis) {
    out.push(
      {
        variant: meshwardVariant({ name: RISK_MEMORY, decisionLogs: false, configYaml: riskYaml() }),
        request: SAMPLE_CHECK_WITH_PEER,
      },
      {
        variant: meshwardVariant({ name: RISK_REDIS, decisionLogs: false, configYaml: riskYaml(redis.url) }),
        request: SAMPLE_CHECK_WITH_PEER,
      },
    );
  }
  for (const c of options.compare ?? []) {
    for (const logs of [false, true]) {
      const name = `${c.name}, decision logs ${logs ? "on" : "off"}`;
      out.push({ variant: meshwardVariant({ name, decisionLogs: logs, root: c.root }), request: SAMPLE_CHECK });
    }
  }
  return out;
}

async function measureOnce(
  server: RunningServer,
  request: unknown,
  options: AuthzLoadOptions,
): Promise<RoundFigures & { ticks: number }> {
  const before = server.cpuTicks();
  const sat = await runGrpcCheckLoad({
    target: server.target,
    request,
    requests: options.saturationRequests,
    concurrency: options.saturationConcurrency,
    connections: options.connections,
  });
  const ticks = server.cpuTicks() - before;
  const fixed = await runGrpcCheckLoad({
    target: server.target,
    request,
    requests: options.fixedRateRequests,
    concurrency: 8,
    connections: options.connections,
    rps: options.fixedRps,
  });
  return {
    throughputRps: sat.throughputRps,
    cpuUsPerCheck: ((ticks / CLOCK_TICKS_PER_SECOND) * 1e6) / options.saturationRequests,
    p50Ms: fixed.latencyMs.p50,
    p99Ms: fixed.latencyMs.p99,
    errors: sat.errors + fixed.errors,
    ticks,
  };
}

function loadAverage(): number[] {
  return loadavg().map((x) => Number(x.toFixed(2)));
}

export async function benchAuthzGrpc(options: AuthzLoadOptions): Promise<AuthzLoadResult> {
  const start = loadAverage();
  const redis = options.risk ? await startRedis() : undefined;
  const planned = plan(options, redis);
  const servers: RunningServer[] = [];
  const figures = planned.map(() => [] as Array<RoundFigures & { ticks: number }>);
  try {
    for (const p of planned) servers.push(await p.variant.start());
    for (let i = 0; i < planned.length; i++) {
      // Warm-up (JIT, connection pools, the Go runtime's heap): not measured.
      await runGrpcCheckLoad({
        target: (servers[i] as RunningServer).target,
        request: (planned[i] as Planned).request,
        requests: 3000,
        concurrency: 8,
        connections: options.connections,
      });
    }
    for (let r = 0; r < options.rounds; r++) {
      for (let k = 0; k < planned.length; k++) {
        const i = (k + r) % planned.length; // rotated order
        const p = planned[i] as Planned;
        const f = await measureOnce(servers[i] as RunningServer, p.request, options);
        figures[i]?.push(f);
        console.log(
          `  round ${r + 1}/${options.rounds} ${p.variant.name}: ${f.throughputRps.toFixed(0)} checks/s, ${f.cpuUsPerCheck.toFixed(1)} µs CPU/check, p99 ${f.p99Ms.toFixed(2)} ms at ${options.fixedRps}/s${f.errors ? `, ${f.errors} errors` : ""}`,
        );
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  }
  const byName = new Map(planned.map((p, i) => [p.variant.name, figures[i] ?? []]));
  const get = (name: string) => byName.get(name) ?? [];
  const variants = planned.map((p, i): VariantSummary => {
    const f = figures[i] ?? [];
    return {
      name: p.variant.name,
      rounds: f.map(({ ticks: _t, ...rest }) => rest),
      throughputRps: median(f.map((x) => x.throughputRps)),
      cpuUsPerCheck: median(f.map((x) => x.cpuUsPerCheck)),
      p50Ms: median(f.map((x) => x.p50Ms)),
      p99Ms: median(f.map((x) => x.p99Ms)),
      errors: f.reduce((a, x) => a + x.errors, 0),
      ticks: f.reduce((a, x) => a + x.ticks, 0),
    };
  });
  const rounds: TierRounds = {
    meshward: { logsOff: get(MESHWARD_LOGS_OFF), logsOn: get(MESHWARD_LOGS_ON) },
    ...(options.peerOpaEnvoy ? { peer: { logsOff: get(PEER_LOGS_OFF), logsOn: get(PEER_LOGS_ON) } } : {}),
    ...(options.risk ? { risk: { memory: get(RISK_MEMORY), redis: get(RISK_REDIS) } } : {}),
  };
  return { options, variants, rounds, loadAverage: { start, end: loadAverage() } };
}

export function authzTable(result: AuthzLoadResult): string {
  const rows = result.variants.map(
    (v) =>
      `| ${v.name} | ${v.throughputRps.toFixed(0)} | ${v.cpuUsPerCheck.toFixed(1)} (${v.ticks} ticks) | ${v.p50Ms.toFixed(2)} / ${v.p99Ms.toFixed(2)} | ${v.errors} |`,
  );
  return [
    `| server | checks/s at saturation | CPU µs per check | p50 / p99 at ${result.options.fixedRps}/s (ms) | errors |`,
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/** The tier's options from the command line (`npm run bench` passes its own arguments through). */
export function authzLoadOptions(argv: readonly string[]): AuthzLoadOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const quick = argv.includes("--quick");
  const compare: { name: string; root: string }[] = [];
  argv.forEach((a, i) => {
    if (a !== "--compare") return;
    const [name, root] = (argv[i + 1] ?? "").split("=");
    if (!name || !root) throw new Error("--compare expects NAME=CHECKOUT");
    compare.push({ name, root });
  });
  const peer = value("--peer-opa-envoy");
  return {
    rounds: Number(value("--rounds") ?? (quick ? 2 : 4)),
    saturationRequests: quick ? 8000 : 40000,
    saturationConcurrency: 64,
    connections: Number(value("--connections") ?? 4),
    fixedRateRequests: quick ? 3000 : 10000,
    fixedRps: 1000,
    ...(peer ? { peerOpaEnvoy: peer } : {}),
    risk: !argv.includes("--no-risk"),
    compare,
  };
}
