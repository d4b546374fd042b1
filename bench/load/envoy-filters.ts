// Tier 3: Envoy CPU time per request with Meshward's filters against a no-filter baseline and
// Envoy's native local_ratelimit, A/B interleaved in one run. Every variant is its own Envoy process,
// all up at once, sharing two direct-response upstream Envoys; each round loads every variant once,
// in an order rotated per round, with the same fixed request count. CPU comes from /proc/<pid>/stat
// of the variant's Envoy, so the load generator's and upstream's CPU are not counted.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import {
  directResponseEnvoyConfig,
  meshEnvoyConfig,
  nativeLocalRateLimitFilter,
  type UpstreamLbPolicy,
  type WasmFilterSpec,
} from "../../scripts/lib/envoy-config.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { runLoad } from "../lib/hey.ts";
import { CLOCK_TICKS_PER_SECOND, cpuTicks } from "../lib/proc-cpu.ts";
import { median } from "../lib/stats.ts";

export interface EnvoyFilterBenchOptions {
  rounds: number;
  requestsPerRun: number;
  concurrency: number;
  envoyWorkers: number;
  /** What to load; the tier's standard set (`standardVariants()`) unless given. */
  variants?: Variant[];
}

export interface VariantResult {
  variant: string;
  cpuUsPerRequest: number;
  /** Median over rounds of (variant CPU/request ÷ baseline CPU/request in the same round). */
  cpuRatioToBaseline: number;
  throughputRps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuTicksTotal: number;
  /** CPU µs per request of each round, in round order (for per-round A/B ratios). */
  cpuUsPerRound: number[];
}

export interface Variant {
  name: string;
  wasm: WasmFilterSpec[];
  extra: Record<string, unknown>[];
  /** Upstream cluster LB policy; round robin unless set. */
  lb?: UpstreamLbPolicy;
}

/** adaptive-lb as deployed (manifests/istio/filters/wasm-plugin/adaptive-lb.yaml): it learns the
 *  two upstreams from upstream.address and then picks every request (P2C, header write, on_log
 *  feedback), with Envoy's override_host policy honouring the header. */
const ADAPTIVE_LB_CONFIG = JSON.stringify({
  maxHostsInHeader: 2,
  ewma: { decayMs: 10000, defaultRttMs: 20 },
  outlier: { consecutiveFailures: 5, baseEjectionMs: 30000, maxEjectionPercent: 50 },
  slowStart: { windowMs: 30000 },
});

const builtFilters = join(repoRoot, "build/filters");

/** Rate limits are set far above the offered load so every variant does the same work: check a
 *  bucket and let the request through. */
const UNREACHED_RATE = 1_000_000;

/** The benchmark's filters as built in `dir` (build/filters of some checkout), each with the
 *  configuration the tier uses. */
export function benchFilters(dir: string): {
  empty: WasmFilterSpec;
  shaper: WasmFilterSpec;
  adaptiveLb: WasmFilterSpec;
} {
  const spec = (name: string, pluginConfig?: string): WasmFilterSpec => ({
    name,
    rootId: name,
    wasmPath: join(dir, `${name}.wasm`),
    ...(pluginConfig === undefined ? {} : { pluginConfig }),
  });
  return {
    // The SDK's empty filter: what any proxy-wasm filter costs in Envoy (VM call, context
    // create/delete per stream) before doing any work; separates the runtime's share from ours.
    empty: spec("bench-empty"),
    shaper: spec(
      "traffic-shaper",
      JSON.stringify({
        rules: [{ name: "all", limit: { rate: UNREACHED_RATE, unit: "second", burst: UNREACHED_RATE } }],
      }),
    ),
    adaptiveLb: spec("adaptive-lb", ADAPTIVE_LB_CONFIG),
  };
}

/** traffic-shaper, adaptive-lb and both, from the filters in `dir`, named with `suffix`. */
export function filterVariants(dir: string, suffix = ""): Variant[] {
  const { shaper, adaptiveLb } = benchFilters(dir);
  const list: Variant[] = [];
  if (existsSync(shaper.wasmPath)) list.push({ name: `traffic-shaper${suffix}`, wasm: [shaper], extra: [] });
  list.push({ name: `adaptive-lb${suffix}`, wasm: [adaptiveLb], extra: [], lb: "override-host" });
  if (existsSync(shaper.wasmPath))
    list.push({ name: `both${suffix}`, wasm: [shaper, adaptiveLb], extra: [], lb: "override-host" });
  return list;
}

/** The floor every variant is compared with: no filter and the empty Wasm filter. */
export function floorVariants(dir = builtFilters): Variant[] {
  const { empty } = benchFilters(dir);
  const list: Variant[] = [{ name: "no-filter", wasm: [], extra: [] }];
  if (existsSync(empty.wasmPath)) list.push({ name: "empty-wasm-filter", wasm: [empty], extra: [] });
  return list;
}

function standardVariants(): Variant[] {
  const list = [...floorVariants(), ...filterVariants(builtFilters)];
  list.push({
    name: "native-local-ratelimit",
    wasm: [],
    extra: [nativeLocalRateLimitFilter(UNREACHED_RATE, UNREACHED_RATE)],
  });
  return list;
}

export async function benchEnvoyFilters(options: EnvoyFilterBenchOptions): Promise<VariantResult[]> {
  const started: RunningEnvoy[] = [];
  try {
    // Two upstreams, so that adaptive-lb has endpoints to choose between (with one it would leave
    // every request to Envoy's fallback); every variant balances over both.
    const upstreams: RunningEnvoy[] = [];
    for (let i = 0; i < 2; i++) upstreams.push(await startEnvoy(directResponseEnvoyConfig(), { concurrency: 1 }));
    started.push(...upstreams);
    const running: { variant: Variant; envoy: RunningEnvoy }[] = [];
    for (const variant of options.variants ?? standardVariants()) {
      const envoy = await startEnvoy(
        meshEnvoyConfig({
          upstreams: upstreams.map((u) => ({ host: "127.0.0.1", port: u.listenerPort })),
          upstreamLbPolicy: variant.lb,
          wasmFilters: variant.wasm,
          extraHttpFilters: variant.extra,
        }),
        { concurrency: options.envoyWorkers },
      );
      started.push(envoy);
      running.push({ variant, envoy });
    }
    const url = (e: RunningEnvoy) => `http://127.0.0.1:${e.listenerPort}/bench`;
    for (const { envoy } of running) {
      await runLoad({
        url: url(envoy),
        requests: Math.min(2000, options.requestsPerRun),
        concurrency: options.concurrency,
      });
    }
    const samples = new Map<
      string,
      { cpuUs: number; rps: number; p50: number; p99: number; errors: number; ticks: number }[]
    >();
    for (let round = 0; round < options.rounds; round++) {
      const order = running.map((_, i) => running[(i + round) % running.length] as (typeof running)[number]);
      for (const { variant, envoy } of order) {
        const before = cpuTicks(envoy.process.pid);
        const load = await runLoad({
          url: url(envoy),
          requests: options.requestsPerRun,
          concurrency: options.concurrency,
        });
        const ticks = cpuTicks(envoy.process.pid) - before;
        const list = samples.get(variant.name) ?? [];
        list.push({
          cpuUs: ((ticks / CLOCK_TICKS_PER_SECOND) * 1e6) / options.requestsPerRun,
          rps: load.throughputRps,
          p50: load.latencyMs.p50,
          p99: load.latencyMs.p99,
          errors: load.errors,
          ticks,
        });
        samples.set(variant.name, list);
      }
    }
    const baseline = samples.get("no-filter") ?? [];
    return running.map(({ variant }) => {
      const s = samples.get(variant.name) ?? [];
      return {
        variant: variant.name,
        cpuUsPerRequest: median(s.map((x) => x.cpuUs)),
        cpuRatioToBaseline: median(s.map((x, i) => x.cpuUs / (baseline[i]?.cpuUs ?? Number.NaN))),
        throughputRps: median(s.map((x) => x.rps)),
        p50Ms: median(s.map((x) => x.p50)),
        p99Ms: median(s.map((x) => x.p99)),
        errors: s.reduce((n, x) => n + x.errors, 0),
        cpuTicksTotal: s.reduce((n, x) => n + x.ticks, 0),
        cpuUsPerRound: s.map((x) => x.cpuUs),
      };
    });
  } finally {
    await Promise.all(started.map((e) => e.stop()));
  }
}
