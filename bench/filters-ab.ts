// `npm run bench:filters-ab [-- --base-ref main | --base-dir DIR] [--rounds 7] [--requests 20000]`:
// Envoy CPU per request of this checkout's filters against another build of them, in one
// interleaved run (bench/load/envoy-filters.ts): no filter, the empty Wasm filter, and
// traffic-shaper, adaptive-lb and both, once as built here ("new") and once as built from the base
// ("base"), plus two probes that split the floor and the filters' cost: the empty filter with
// adaptive-lb's override_host cluster policy (what Envoy's policy costs, not the filter), and
// bench-headers (13 host calls and no logic: what a host call costs in Envoy). Each optimisation of the filters' hot path is judged on these paired per-round ratios,
// never on figures from separate runs: on a shared 2-core machine the load moves absolute figures
// by more than the changes being measured.
//
// `--only NAME` keeps one filter's variants (traffic-shaper, adaptive-lb or both) and drops the
// probes: fewer variants, more rounds in the same time. `--go-reference` adds the same empty filter written in Go (bench/reference/go-empty: Go's own
// GOOS=wasip1 port with go:wasmexport, no SDK), built with the `go` on PATH: what the ABI floor
// is from another language's runtime.
//
// The base build comes from `--base-dir` (a build/filters directory) or is made from `--base-ref`
// (default main): `git archive` of that ref into a temporary directory, this checkout's
// node_modules linked in, scripts/build-filters.ts run there.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { WasmFilterSpec } from "../scripts/lib/envoy-config.ts";
import { repoRoot } from "../scripts/lib/tools.ts";
import { numberOption } from "./lib/cli-args.ts";
import { median } from "./lib/stats.ts";
import {
  benchEnvoyFilters,
  benchFilters,
  filterVariants,
  floorVariants,
  type Variant,
  type VariantResult,
} from "./load/envoy-filters.ts";

function stringOption(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** Builds the filters of `ref` in a scratch checkout; returns its build/filters directory. */
function buildBase(ref: string): { dir: string; cleanup: () => void } {
  const scratch = mkdtempSync(join(tmpdir(), "meshward-ab-base-"));
  execFileSync("sh", ["-c", `git -C "${repoRoot}" archive "${ref}" | tar -x -C "${scratch}"`], { stdio: "inherit" });
  symlinkSync(join(repoRoot, "node_modules"), join(scratch, "node_modules"));
  console.log(`filters-ab: building ${ref} in ${scratch}`);
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build-filters.ts"], { cwd: scratch, stdio: "ignore" });
  return { dir: join(scratch, "build/filters"), cleanup: () => rmSync(scratch, { recursive: true, force: true }) };
}

/** Builds bench/reference/go-empty into build/reference/; its variant. */
function goReferenceVariant(): Variant {
  const out = join(repoRoot, "build/reference/go-empty.wasm");
  execFileSync("go", ["build", "-buildmode=c-shared", "-o", out, "."], {
    cwd: join(repoRoot, "bench/reference/go-empty"),
    env: { ...process.env, GOOS: "wasip1", GOARCH: "wasm" },
    stdio: "inherit",
  });
  return {
    name: "go empty filter (wasip1)",
    wasm: [{ name: "go-empty", rootId: "go-empty", wasmPath: out }],
    extra: [],
  };
}

function probeVariants(): Variant[] {
  const { empty } = benchFilters(join(repoRoot, "build/filters"));
  const headers: WasmFilterSpec = {
    name: "bench-headers",
    rootId: "bench-headers",
    wasmPath: join(repoRoot, "build/filters/bench-headers.wasm"),
  };
  return [
    { name: "empty-wasm-filter override-host", wasm: [empty], extra: [], lb: "override-host" },
    { name: "bench-headers (13 host calls)", wasm: [headers], extra: [] },
  ];
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const baseDir = stringOption("base-dir");
const only = stringOption("only");
const isWanted = (v: Variant) => only === undefined || v.name.startsWith(`${only} `);
const base =
  baseDir !== undefined ? { dir: baseDir, cleanup: () => undefined } : buildBase(stringOption("base-ref") ?? "main");
const options = {
  rounds: numberOption("rounds", 7),
  requestsPerRun: numberOption("requests", 20000),
  concurrency: numberOption("concurrency", 16),
  envoyWorkers: 1,
};
try {
  console.log(`filters-ab: ${JSON.stringify(options)}, base ${base.dir}; load average ${load()}`);
  const results = await benchEnvoyFilters({
    ...options,
    variants: [
      ...floorVariants(),
      ...(only === undefined ? probeVariants() : []),
      ...(process.argv.includes("--go-reference") ? [goReferenceVariant()] : []),
      ...filterVariants(join(repoRoot, "build/filters"), " new").filter(isWanted),
      ...filterVariants(base.dir, " base").filter(isWanted),
    ],
  });
  console.log(`filters-ab: done; load average ${load()}`);
  const byName = new Map(results.map((r) => [r.variant, r]));
  const floor = byName.get("empty-wasm-filter");
  console.log("| variant | Envoy CPU µs/request | ratio to no-filter | minus floor | CPU ticks |");
  console.log("|---|---|---|---|---|");
  for (const r of results) {
    const overFloor = floor ? (r.cpuRatioToBaseline - floor.cpuRatioToBaseline).toFixed(3) : "";
    console.log(
      `| ${r.variant} | ${r.cpuUsPerRequest.toFixed(1)} | ${r.cpuRatioToBaseline.toFixed(3)} | ${overFloor} | ${r.cpuTicksTotal} |`,
    );
  }
  console.log("\nnew/base CPU per request, per round (median):");
  for (const name of ["traffic-shaper", "adaptive-lb", "both"]) {
    const a = byName.get(`${name} new`);
    const b = byName.get(`${name} base`);
    if (!a || !b) continue;
    const ratios = a.cpuUsPerRound.map((x, i) => x / (b.cpuUsPerRound[i] ?? Number.NaN));
    console.log(`${name}: ${ratios.map((x) => x.toFixed(3)).join(" ")} (median ${median(ratios).toFixed(3)})`);
  }
  const json = (r: VariantResult) => ({ ...r, cpuUsPerRound: r.cpuUsPerRound.map((x) => Number(x.toFixed(2))) });
  console.log(`\n${JSON.stringify(results.map(json))}`);
} finally {
  base.cleanup();
}
