// Per-request cost of Meshward's proxy-wasm SDK in the Node proxy-wasm host (test/host/):
//   A = bench-empty.wasm   (SDK dispatch only, no filter logic)
//   B = bench-headers.wasm (10 header reads compared in place + 1 header write + 1 shared-data
//                           read/CAS write, filters/conformance/bench-headers.ts)
// One request = context create → on_request_headers → on_response_headers → on_log/on_done/
// on_delete. A and B run interleaved in alternating order, ROUNDS batches of BATCH requests each,
// after a warm-up; reported: median wall ns/request, median CPU ns/request, host calls/request, the
// B/A ratio per round (median), memory pages after the run, and the built .wasm sizes.
// Host-side JS dominates these numbers (each host call crosses from Wasm into JavaScript): compare ratios and counts, not absolutes.
// Run: npm run bench:sdk  (node --no-liftoff: TurboFan only, like Envoy's V8)
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../scripts/lib/tools.ts";
import { type Pair, type ProxyWasmHost, proxyWasmHost } from "../test/host/index.ts";
import { median } from "./lib/stats.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const BATCH = Number(process.env.BENCH_BATCH ?? 4000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20000);

const REQUEST: Pair[] = [
  [":authority", "api.example.internal"],
  [":path", "/v1/orders/12345?expand=items"],
  [":method", "GET"],
  [":scheme", "https"],
  ["user-agent", "meshward-bench/1.0"],
  ["accept", "application/json"],
  ["x-request-id", "4f1c2d7e-9a3b-4c1d-8e2f-0a1b2c3d4e5f"],
  ["x-forwarded-proto", "https"],
  ["x-meshward-subject", "spiffe://mesh.local/ns/shop/sa/frontend"],
  ["x-meshward-risk-score", "12"],
  ["x-meshward-risk-level", "low"],
];
const RESPONSE: Pair[] = [
  [":status", "200"],
  ["content-type", "application/json"],
];

function load(name: string): ProxyWasmHost {
  return proxyWasmHost(join(repoRoot, `build/filters/${name}.wasm`))
    .withPlugin(name)
    .withWorkers(1)
    .start();
}

function runBatch(host: ProxyWasmHost, n: number): { wallNs: number; cpuNs: number; calls: number } {
  const calls0 = host.recorder.total;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const stream = host.stream(0);
    stream.requestHeaders(
      REQUEST.map(([k, v]): Pair => [k, v]),
      true,
    );
    stream.responseHeaders(
      RESPONSE.map(([k, v]): Pair => [k, v]),
      true,
    );
    stream.complete();
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { wallNs, cpuNs: (cpu.user + cpu.system) * 1000, calls: host.recorder.total - calls0 };
}

const hosts = { A: load("bench-empty"), B: load("bench-headers") };
runBatch(hosts.A, WARMUP);
runBatch(hosts.B, WARMUP);

const samples = {
  A: { wall: [] as number[], cpu: [] as number[], calls: 0 },
  B: { wall: [] as number[], cpu: [] as number[], calls: 0 },
};
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const);
  const perRound: Record<string, number> = {};
  for (const key of order) {
    const r = runBatch(hosts[key], BATCH);
    samples[key].wall.push(r.wallNs / BATCH);
    samples[key].cpu.push(r.cpuNs / BATCH);
    samples[key].calls = r.calls / BATCH;
    perRound[key] = r.wallNs;
  }
  ratios.push((perRound.B as number) / (perRound.A as number));
}

const size = (name: string) => statSync(join(repoRoot, `build/filters/${name}.wasm`)).size;
const filters = Object.keys(JSON.parse(readFileSync(join(repoRoot, "asconfig.json"), "utf8")).meshward.filters);
const report = {
  node: process.version,
  v8: process.versions.v8,
  flags: process.execArgv.filter((a) => a.startsWith("--") && a !== "--import"),
  rounds: ROUNDS,
  batch: BATCH,
  A_empty: {
    wallNsPerRequest: Math.round(median(samples.A.wall)),
    cpuNsPerRequest: Math.round(median(samples.A.cpu)),
    hostCallsPerRequest: samples.A.calls,
    memoryPages: hosts.A.workers[0]?.memoryPages(),
  },
  B_headers: {
    wallNsPerRequest: Math.round(median(samples.B.wall)),
    cpuNsPerRequest: Math.round(median(samples.B.cpu)),
    hostCallsPerRequest: samples.B.calls,
    memoryPages: hosts.B.workers[0]?.memoryPages(),
  },
  medianRatioBoverA: Number(median(ratios).toFixed(2)),
  hostCallsB: Object.fromEntries(hosts.B.recorder.counts),
  wasmBytes: Object.fromEntries(filters.map((name) => [name, size(name)])),
};
console.log(JSON.stringify(report, null, 2));
