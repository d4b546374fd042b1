// The long runs of the security suites, for `npm run fuzz` (scripts/fuzz/main.ts): the same
// harnesses as the short variants in `npm test`, with more cases, the default caps and bigger bombs.
// Each returns its failures (broken invariants) and the figures RELIABILITY.md reports.
import { bundleKit } from "./bundle-kit.ts";
import { type BypassReport, runBypass, startBypassSetup } from "./bypass-run.ts";
import {
  CAPS,
  CHECK_DEADLINE_MS,
  encodedCheck,
  grpcBurst,
  httpBurst,
  MEMORY_LIMIT_MIB,
  normalChecks,
  slowGrpcStreams,
  slowHttpClients,
  startExhaustionTarget,
} from "./exhaustion-run.ts";
import {
  expectedCode,
  hostileBundles,
  loadHostile,
  mutatedArchives,
  startHostileServer,
} from "./hostile-bundle-run.ts";
import { fixedVariants, randomVariants } from "./path-variants.ts";

/** Fixed variants and `count` random ones through every shipped Envoy config. */
export async function runPathFuzz(count: number, seed: number): Promise<BypassReport[]> {
  const setup = await startBypassSetup(2);
  try {
    const variants = [...fixedVariants(), ...randomVariants(count, seed)];
    const reports: BypassReport[] = [];
    for (const config of setup.configs) reports.push(await runBypass(setup, config, variants, 16));
    return reports;
  } finally {
    await setup.close();
  }
}

export interface LongRun {
  failures: string[];
  figures: Record<string, unknown>;
}

/** Every hostile kind `rounds` times (the gzip bomb at 1 GiB) and `mutations` random mutations,
 *  with signing required and without. */
export async function runBundleFuzz(rounds: number, mutations: number, seed: number): Promise<LongRun> {
  const kit = await bundleKit();
  const failures: string[] = [];
  const byCode: Record<string, number> = {};
  let loads = 0;
  let peakHeapMiB = 0;
  const archives = new Map<string, Uint8Array>(); // made once: a 1 GiB bomb costs seconds to compress
  for (const signed of [true, false]) {
    const target = await startHostileServer(kit, signed);
    try {
      const record = (problems: string[], name: string, got: string) => {
        loads++;
        byCode[got] = (byCode[got] ?? 0) + 1;
        peakHeapMiB = Math.max(peakHeapMiB, process.memoryUsage().heapUsed / 2 ** 20);
        for (const p of problems)
          if (failures.length < 50) failures.push(`${signed ? "signed" : "unsigned"} ${name}: ${p}`);
      };
      for (let round = 0; round < rounds; round++) {
        for (const bundle of hostileBundles(1024 * 1024 * 1024)) {
          if (!archives.has(bundle.name)) archives.set(bundle.name, await bundle.make(kit));
          const archive = archives.get(bundle.name) as Uint8Array;
          const outcome = await loadHostile(target, kit, bundle.name, archive, expectedCode(bundle, signed));
          record(outcome.problems, bundle.name, outcome.got);
        }
      }
      for (const archive of mutatedArchives(kit, mutations, seed)) {
        const outcome = await loadHostile(target, kit, "mutation", archive, "any");
        record(outcome.problems, "mutation", outcome.got);
      }
    } finally {
      await target.close();
    }
  }
  return { failures, figures: { loads, byCode, peakHeapMiB: Math.round(peakHeapMiB) } };
}

/** The bursts at 4× the default caps against the server process, `rounds` times. */
export async function runExhaustionRounds(rounds: number): Promise<LongRun> {
  const failures: string[] = [];
  const figures: Record<string, unknown> = { caps: CAPS, rounds };
  const target = await startExhaustionTarget({ requestTimeoutMs: 2000 });
  const port = target.authz.grpcPort;
  const probe = normalChecks(port);
  const bursts: Record<string, unknown>[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const size = CAPS.messageBytes - 4096;
      const large = Math.ceil((4 * CAPS.bytes) / size);
      const burst: Record<string, unknown> = {
        oversized: await grpcBurst(port, encodedCheck({ bodyBytes: 7_000_000 }), 30, 30, 60_000),
        checks: await grpcBurst(port, encodedCheck({ token: true }), 4 * CAPS.checks, 32, 60_000),
        bytesWaiting: await grpcBurst(port, encodedCheck({ bodyBytes: size, token: true }), large, 16, 60_000),
        bytes: await grpcBurst(port, encodedCheck({ bodyBytes: size }), large, 16, 60_000),
        http: await httpBurst(target.authz.httpPort, CAPS.httpBodyBytes - 4096, large),
      };
      const slowHttp = slowHttpClients(target.authz.httpPort, 200, 100);
      const slowGrpc = slowGrpcStreams(port, 4 * 128, 4, CAPS.messageBytes - 16, 64 * 1024);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      burst.slowHttpClosedByServer = slowHttp.stop();
      slowGrpc.stop();
      burst.rssMiB = Math.round(target.rssMiB());
      bursts.push(burst);
      for (const [name, counts] of Object.entries(burst)) {
        if (typeof counts === "object" && counts !== null && ("error" in counts || "deadline" in counts))
          failures.push(`round ${round} ${name}: calls without an answer ${JSON.stringify(counts)}`);
      }
    }
  } finally {
    const stats = await probe.stop();
    figures.normalChecks = stats;
    figures.peakRssMiB = Math.round(target.peakRssMiB());
    figures.bursts = bursts;
    await target.close();
    if ((figures.peakRssMiB as number) >= MEMORY_LIMIT_MIB) failures.push(`peak RSS ${figures.peakRssMiB} MiB`);
    if (stats.counts.error) failures.push(`normal checks failed: ${JSON.stringify(stats)}`);
    if (stats.late > 0)
      failures.push(`${stats.late} of ${stats.sent} normal checks later than ${CHECK_DEADLINE_MS} ms`);
  }
  return { failures, figures };
}
