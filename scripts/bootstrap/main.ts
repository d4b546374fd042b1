// `npm run bootstrap [-- --quiet] [-- --bench] [-- --istio] [-- --keep-going] [-- --check]`: installs every external tool
// that the tests, the sandbox and the benchmarks start into .tools/, at the versions pinned in
// scripts/tool-versions.json, without root and without touching system packages. Idempotent: when
// every tool's stamp matches its pin, it returns at once (no lock, no subprocess).
//
// Compiles (OPA, Prometheus, Go load generators) run one after another on one lane while downloads
// (Envoy, Debian packages, Node) run on the other. A tool that cannot be installed is reported with
// what to install instead and recorded in .tools/failed/, where scripts/lib/tools.ts reads it for
// the tests that need the tool; with --keep-going (the build's mode) only a tool the build itself
// needs makes the exit code non-zero, so the remaining tests still run and the others fail loudly.
// --istio adds istiod, pilot-agent, crane and registry (npm run test:istio only: a cold istiod
// build takes ~10 minutes). --check installs nothing: it names the tools that are not ready and exits 1 if there are any.
import { existsSync, mkdirSync } from "node:fs";
import { toolPath, toolsBin } from "../lib/tools.ts";
import type { ToolJob } from "./job.ts";
import { reporter, seconds, timed } from "./report.ts";
import { clearFailure, fingerprint, readStamp, recordFailure, withLock, writeStampEntry } from "./state.ts";
import { benchJobs } from "./tools/bench.ts";
import { chromiumJob } from "./tools/chromium.ts";
import { envoyJob } from "./tools/envoy.ts";
import { istioJob } from "./tools/istio.ts";
import { node24Job } from "./tools/node24.ts";
import { ociToolsJob } from "./tools/oci.ts";
import { opaJob } from "./tools/opa.ts";
import { prometheusJob } from "./tools/prometheus.ts";
import { redisJob } from "./tools/redis.ts";

const argv = process.argv.slice(2);
const OPTIONS = ["--quiet", "--bench", "--istio", "--keep-going", "--check"];
const unknown = argv.filter((a) => !OPTIONS.includes(a));
if (unknown.length) {
  console.error(`bootstrap: unknown option ${unknown.join(" ")} (known: ${OPTIONS.join(" ")})`);
  process.exit(2);
}
const report = reporter(argv.includes("--quiet"));
const jobs: ToolJob[] = [
  envoyJob,
  opaJob,
  prometheusJob,
  redisJob,
  chromiumJob,
  node24Job,
  ...(argv.includes("--bench") ? benchJobs() : []),
  ...(argv.includes("--istio") ? [ociToolsJob, istioJob] : []),
];

const ready = (job: ToolJob, stamp = readStamp()): boolean =>
  stamp[job.key] === fingerprint(job.pin) && job.launchers.every((name) => existsSync(toolPath(name)));

async function runLane(lane: ToolJob[], failed: ToolJob[]): Promise<void> {
  for (const job of lane) {
    const error = await timed(report, job.key, job.plan, () => job.install(report));
    if (error === null) {
      clearFailure(job.launchers);
      writeStampEntry(job.key, fingerprint(job.pin));
    } else {
      recordFailure(job.launchers, error);
      failed.push(job);
    }
  }
}

async function main(): Promise<number> {
  if (jobs.every((job) => ready(job))) {
    report.info(`tools ready in ${toolsBin}: ${jobs.map((j) => j.key).join(", ")}`);
    return 0;
  }
  if (argv.includes("--check")) {
    report.progress(
      `not ready: ${jobs
        .filter((job) => !ready(job))
        .map((j) => j.key)
        .join(", ")}`,
    );
    return 1;
  }
  mkdirSync(toolsBin, { recursive: true });
  const started = Date.now();
  const failed: ToolJob[] = [];
  await withLock(
    async () => {
      const stamp = readStamp(); // another bootstrap may have finished while we waited
      const pending = jobs.filter((job) => !ready(job, stamp));
      await Promise.all([
        runLane(
          pending.filter((j) => j.lane === "compile"),
          failed,
        ),
        runLane(
          pending.filter((j) => j.lane === "download"),
          failed,
        ),
      ]);
    },
    (pid) => report.progress(`waiting for another bootstrap (pid ${pid}) installing into the same .tools/`),
  );
  if (failed.length === 0) {
    report.info(`tools ready in ${toolsBin} (${seconds(Date.now() - started)})`);
    return 0;
  }
  const names = failed.map((j) => j.key).join(", ");
  report.progress(
    `NOT INSTALLED: ${names} (reasons above; recorded in .tools/failed/). Tests that need them fail with that reason.`,
  );
  const fatal = failed.some((j) => j.requiredByBuild) || !argv.includes("--keep-going");
  return fatal ? 1 : 0;
}

process.exitCode = await main();
