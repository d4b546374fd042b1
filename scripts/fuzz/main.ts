// `npm run fuzz`: the long seeded fuzz runs (the suite runs short variants of the same code).
//   npm run fuzz -- [--seed N] [--cases N] [--only authz,filters,paths,bundles,exhaustion,templates]
//                   [--transports in-process,grpc]
// Authz: N hostile-token cases in process and N/10 through gRPC. Filters: N random exchanges and
// N/100 configs per built filter of asconfig.json, plus the shared-data contention run.
// Paths: the fixed variants and N/20 seeded random ones through every shipped Envoy config.
// Bundles: every hostile bundle kind N/10 000 times (the gzip bomb at 1 GiB) and N/100 mutations,
// with and without signing. Exhaustion: the bursts at 4× the default caps, N/50 000 rounds.
// Templates: N/2 random strings.render_template calls, each answered by the pinned OPA CLI too.
// Prints one line per run and exits non-zero on any broken invariant.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runTemplateFuzz } from "../../test/authz/template-fuzz.ts";
import { type AuthzFuzzReport, runAuthzFuzz } from "../../test/reliability/authz/fuzz.ts";
import { startAuthzHarness } from "../../test/reliability/authz/harness.ts";
import { fuzzTargets } from "../../test/reliability/filters/catalog.ts";
import { runCounterContention } from "../../test/reliability/filters/contention.ts";
import { runConfigFuzz, runTrafficFuzz } from "../../test/reliability/filters/fuzz.ts";
import { runBundleFuzz, runExhaustionRounds, runPathFuzz } from "../../test/security/long-runs.ts";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "20261128" },
    cases: { type: "string", default: "100000" },
    only: { type: "string" },
    transports: { type: "string", default: "in-process,grpc" },
  },
});
const seed = Number(values.seed);
const cases = Number(values.cases);
const only = values.only?.split(",");
const want = (name: string) => only === undefined || only.includes(name);
let broken = 0;
const CHUNK = 10_000;

function merge(total: AuthzFuzzReport, part: AuthzFuzzReport): void {
  total.cases += part.cases;
  total.controls += part.controls;
  for (const [k, v] of Object.entries(part.byKind)) total.byKind[k] = (total.byKind[k] ?? 0) + v;
  for (const [k, v] of Object.entries(part.byReason)) total.byReason[k] = (total.byReason[k] ?? 0) + v;
  total.failures.push(...part.failures.slice(0, Math.max(0, 50 - total.failures.length)));
}

function report(name: string, failures: string[], figures: Record<string, unknown>, startedMs: number): void {
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  console.log(
    `${failures.length === 0 ? "ok  " : "FAIL"} ${name} ${JSON.stringify(figures)} (${seconds} s, seed ${seed})`,
  );
  for (const f of failures) console.log(`     ${f}`);
  broken += failures.length;
}

if (want("authz")) {
  // Log lines are checked as they come and not kept (decision logs of 100 000 random requests
  // would take gigabytes): any JWS-shaped text in a line is a leak.
  let lines = 0;
  const leaked: string[] = [];
  const harness = await startAuthzHarness({
    keepLogs: false,
    onLog: (line) => {
      lines++;
      if (/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(line) && leaked.length < 3) leaked.push(line.slice(0, 300));
    },
  });
  try {
    const runs = [
      ["in-process", cases],
      ["grpc", Math.ceil(cases / 10)],
    ] as const;
    for (const [transport, n] of runs.filter(([t]) => values.transports.split(",").includes(t))) {
      const started = performance.now();
      const total: AuthzFuzzReport = { cases: 0, controls: 0, byKind: {}, byReason: {}, failures: [], tokens: [] };
      for (let firstCase = 0; firstCase < n; firstCase += CHUNK) {
        const chunk = Math.min(CHUNK, n - firstCase);
        merge(total, await runAuthzFuzz(harness, { cases: chunk, seed, transport, firstCase }));
        console.log(`     authz ${transport}: ${firstCase + chunk}/${n}, ${total.failures.length} failures so far`);
      }
      const figures = { cases: total.cases, controls: total.controls, byKind: total.byKind, byReason: total.byReason };
      report(`authz ${transport}`, total.failures, figures, started);
    }
    report("authz logs free of tokens", leaked, { lines, withToken: leaked.length }, performance.now());
  } finally {
    await harness.close();
  }
}

if (want("filters")) {
  for (const target of fuzzTargets()) {
    let started = performance.now();
    const t = runTrafficFuzz(target, { cases, seed });
    const grew = t.pagesAtEnd.some((p, i) => p !== t.pagesAfterWarmup[i]);
    report(
      `filter ${target.name} traffic`,
      [...t.failures, ...(grew ? [`memory grew: ${t.pagesAfterWarmup} → ${t.pagesAtEnd} pages`] : [])],
      {
        cases: t.cases,
        pagesAfterWarmup: t.pagesAfterWarmup,
        pagesAtEnd: t.pagesAtEnd,
        statuses: Object.keys(t.statuses).length,
      },
      started,
    );
    started = performance.now();
    const c = runConfigFuzz(target, { cases: Math.ceil(cases / 100), seed });
    report(
      `filter ${target.name} configs`,
      c.failures,
      { cases: c.cases, accepted: c.accepted, rejected: c.rejected },
      started,
    );
  }
  const started = performance.now();
  const r = runCounterContention({
    requests: Math.ceil(cases / 10),
    workers: 4,
    seed,
    interleave: 0.5,
    precreate: true,
  });
  const exact = r.finalCount === r.applied && r.applied + r.gaveUp === r.requests;
  report(
    "shared counter contention",
    exact ? [] : [`count ${r.finalCount} != applied ${r.applied}`],
    { ...r },
    started,
  );
}

if (want("paths")) {
  const started = performance.now();
  for (const r of await runPathFuzz(Math.ceil(cases / 20), seed)) {
    const { violations, reachedTargets: _, ...figures } = r;
    report(`paths ${r.config}`, violations, figures, started);
  }
}

if (want("bundles")) {
  const started = performance.now();
  const r = await runBundleFuzz(Math.max(1, Math.round(cases / 10_000)), Math.ceil(cases / 100), seed);
  report("hostile bundles", r.failures, r.figures, started);
}

if (want("exhaustion")) {
  const started = performance.now();
  const r = await runExhaustionRounds(Math.max(1, Math.round(cases / 50_000)));
  report("resource exhaustion", r.failures, r.figures, started);
}

if (want("templates")) {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "mw-template-fuzz-"));
  try {
    const r = runTemplateFuzz(Math.ceil(cases / 2), seed, dir);
    report("render_template against opa eval", r.failures, r.figures, started);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(broken === 0 ? "fuzz: all invariants held" : `fuzz: ${broken} broken invariant(s)`);
process.exit(broken === 0 ? 0 : 1);
