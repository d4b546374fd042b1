// `npm run bench [-- --quick]`: runs the benchmark tiers and writes JSON + Markdown reports with
// provenance to bench/results/. Methodology: bench/README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../scripts/lib/tools.ts";
import { provenance } from "./lib/machine.ts";
import { runBenchScript } from "./lib/subprocess.ts";
import { barChart } from "./lib/svg-chart.ts";
import { goalsTable, judgeGoals } from "./load/authz-goals.ts";
import { authzLoadOptions, authzTable, benchAuthzGrpc } from "./load/authz-grpc.ts";
import { benchEnvoyFilters, type VariantResult } from "./load/envoy-filters.ts";

const quick = process.argv.includes("--quick");

function table(results: VariantResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.variant} | ${r.cpuUsPerRequest.toFixed(1)} | ${r.cpuRatioToBaseline.toFixed(3)} | ${r.throughputRps.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${r.errors} | ${r.cpuTicksTotal} |`,
  );
  return [
    "| variant | Envoy CPU µs/request | ratio to no-filter | throughput rps | p50 ms | p99 ms | errors | CPU ticks |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/** The in-process Check's median CPU µs from bench/authz-check.ts's table (its first variant). */
function inProcessCheckUs(micro: { title: string; output: string }[]): number | undefined {
  for (const m of micro) {
    const row = /^check \(translate\+identity\+policy\+response\)\s+([\d.]+)\s+([\d.]+)/m.exec(m.output);
    if (row) return Number(row[2]);
  }
  return undefined;
}

/** Tiers 1 and 2: each script prints its own tables; the report keeps them verbatim. */
async function microAndSimulation(): Promise<{ title: string; output: string }[]> {
  const tiers: { title: string; script: string; args: string[]; nodeFlags?: string[]; env?: NodeJS.ProcessEnv }[] = [
    {
      title: "Micro: filter callbacks in the Node proxy-wasm host (ns/request, host calls/request)",
      script: "bench/sdk-microbench.ts",
      args: [],
      nodeFlags: ["--no-liftoff"],
      env: { BENCH_ROUNDS: quick ? "5" : "15" },
    },
    {
      title: "Micro: in-process Check (translation, identity, policy, response; each and total)",
      script: "bench/authz-check.ts",
      args: quick ? ["--rounds", "3", "--iterations", "5000"] : [],
    },
    {
      title: "Micro: risk scoring per check (in-memory store; full run adds Redis)",
      script: "bench/risk.ts",
      args: quick ? ["--memory-only", "--checks", "5000"] : [],
    },
    {
      title: "Simulation: load-balancing quality (seeded discrete-event simulation)",
      script: "bench/sim/main.ts",
      args: quick ? ["--scale", "0.25"] : [],
    },
  ];
  const out: { title: string; output: string }[] = [];
  for (const tier of tiers) {
    console.log(`\nbench: ${tier.title}`);
    const output = await runBenchScript(tier.script, tier.args, { nodeFlags: tier.nodeFlags, env: tier.env });
    out.push({ title: tier.title, output });
  }
  return out;
}

async function main(): Promise<void> {
  const meta = provenance();
  const micro = await microAndSimulation();
  const options = quick
    ? { rounds: 3, requestsPerRun: 4000, concurrency: 8, envoyWorkers: 1 }
    : { rounds: 7, requestsPerRun: 20000, concurrency: 16, envoyWorkers: 1 };
  console.log(`bench: envoy filters (${quick ? "quick" : "full"}): ${JSON.stringify(options)}`);
  const envoyFilters = await benchEnvoyFilters(options);
  console.log(table(envoyFilters));
  const authzOptions = authzLoadOptions(process.argv.slice(2));
  console.log(`bench: authz gRPC under load, interleaved: ${JSON.stringify(authzOptions)}`);
  const authz = await benchAuthzGrpc(authzOptions);
  console.log(authzTable(authz));
  const authzGoals = judgeGoals(authz.rounds, inProcessCheckUs(micro));
  console.log(goalsTable(authzGoals));
  const dir = join(repoRoot, "bench/results");
  mkdirSync(dir, { recursive: true });
  const stem = quick ? "latest-quick" : "latest";
  writeFileSync(
    join(dir, `${stem}.json`),
    `${JSON.stringify({ meta, options, envoyFilters, authzOptions, authz, authzGoals, micro }, null, 2)}\n`,
  );
  writeFileSync(
    join(dir, `${stem}.md`),
    `# Benchmark results (${quick ? "quick" : "full"} run)\n\n` +
      `git ${meta.gitSha}, Envoy ${meta.envoy}, OPA ${meta.opa}, Node ${meta.node}, AssemblyScript ${meta.assemblyscript}, ` +
      `${meta.cpuModel} × ${meta.cores}, ${meta.date}\n\n` +
      micro.map((m) => `## ${m.title}\n\n\`\`\`\n${m.output.trim()}\n\`\`\`\n\n`).join("") +
      "## Envoy CPU per request (A/B interleaved)\n\n" +
      `${JSON.stringify(options)}\n\n${table(envoyFilters)}\n\n![Envoy CPU per request](${stem}-envoy-cpu.svg)\n\n## Authz server under gRPC load (ghz)\n\n` +
      `${JSON.stringify(authzOptions)}\n\n` +
      `Load average at the tier's start ${authz.loadAverage.start.join(" ")}, at its end ${authz.loadAverage.end.join(" ")}. ` +
      "Figures are medians over rounds; each ratio below is the median of per-round ratios (both servers loaded back to back in the same round).\n\n" +
      `${authzTable(authz)}\n\n### Goals\n\n${goalsTable(authzGoals)}\n\n` +
      (authz.options.peerOpaEnvoy
        ? `Peer: opa-envoy-plugin from \`${authz.options.peerOpaEnvoy}\`, run with \`run --server\` on policy/default/envoy/authz.rego.\n`
        : "Peer: not measured (no `--peer-opa-envoy PATH`; bench/README.md says how to build opa-envoy-plugin from source). " +
          "Its published anchors are 4.6 ms at 1000 rps and 40.7 µs per in-process Check.\n"),
  );
  writeFileSync(
    join(dir, `${stem}-envoy-cpu.svg`),
    barChart(
      "Envoy CPU per request (µs), A/B interleaved; ratio to no filter",
      "µs",
      envoyFilters.map((r) => ({
        label: r.variant,
        value: r.cpuUsPerRequest,
        note: `${r.cpuUsPerRequest.toFixed(1)} µs (×${r.cpuRatioToBaseline.toFixed(2)})`,
      })),
    ),
  );
  console.log(`bench: wrote bench/results/${stem}.{json,md} and ${stem}-envoy-cpu.svg`);
}

main().catch((err: Error) => {
  console.error(`bench: ${err.stack ?? err.message}`);
  process.exit(1);
});
