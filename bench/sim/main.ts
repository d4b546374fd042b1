// `npm run bench:sim [-- --seed N --scale S]`: the deterministic load-balancing simulation.
// Prints p50/p99/p99.9, errors and the share sent to the bad endpoint for round robin,
// least-request P2C and Meshward's adaptive balancer (the real AssemblyScript module, compiled),
// then checks the balancer's goal: with 1 of 4 endpoints 10x slower, our p99 within 1.5x of the
// all-healthy p99 while round robin's is several (≥ 3) times worse.
import { parseArgs } from "node:util";
import { loadAlgorithms } from "../../test/algorithms/wasm.ts";
import { measurePickCost } from "./pick-cost.ts";
import { find, runAll } from "./run.ts";
import { scenarios } from "./scenarios.ts";

const { values } = parseArgs({
  options: { seed: { type: "string", default: "1" }, scale: { type: "string", default: "1" } },
});
const seed = Number(values.seed);
const scale = Number(values.scale);
const api = await loadAlgorithms();
const started = process.hrtime.bigint();
const results = runAll(api, seed, scale);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

const f = (n: number) => n.toFixed(2);
const pct = (n: number) => `${(n * 100).toFixed(2)}%`;
console.log(`# Meshward load-balancing simulation (seed ${seed}, scale ${scale}, node ${process.version})\n`);
for (const s of scenarios(scale))
  console.log(`- ${s.name}: ${s.description}; ${s.durationMs / 1000} s at ${s.ratePerSec} req/s`);
console.log(
  "\n| scenario | policy | requests | errors | p50 ms | p99 ms | p99.9 ms | share to bad endpoint | … per phase of the bad endpoint | per endpoint |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${r.scenario} | ${r.policy} | ${r.requests} | ${r.errors} | ${f(r.p50Ms)} | ${f(r.p99Ms)} | ${f(r.p999Ms)} | ${pct(r.badShare)} | ${r.badSharePerPhase.map(pct).join(" → ")} | ${r.perEndpoint.join("/")} |`,
  );
}

const healthy = find(results, "all-healthy", "meshward-adaptive");
const ours = find(results, "one-slow-10x", "meshward-adaptive");
const rr = find(results, "one-slow-10x", "round-robin");
const rrHealthy = find(results, "all-healthy", "round-robin");
const oursRatio = ours.p99Ms / healthy.p99Ms;
const rrRatio = rr.p99Ms / rrHealthy.p99Ms;
const met = oursRatio <= 1.5 && rrRatio >= 3;
console.log(
  `\ngoal: one-slow-10x p99 / all-healthy p99 — ours ${oursRatio.toFixed(2)}x (≤ 1.5x), round robin ${rrRatio.toFixed(2)}x (≥ 3x): ${met ? "MET" : "NOT MET"}`,
);
console.log(`simulated in ${seconds.toFixed(1)} s wall time`);

console.log("\n| endpoints | CPU µs per request (pick+start+complete) | baseline: 4 trivial wasm calls | difference |");
console.log("|---|---|---|---|");
for (const n of [4, 16, 64]) {
  const c = measurePickCost(api, n, 50_000);
  console.log(
    `| ${n} | ${c.balancerUs.toFixed(3)} | ${c.baselineUs.toFixed(3)} | ${(c.balancerUs - c.baselineUs).toFixed(3)} |`,
  );
}
process.exit(met ? 0 : 1);
