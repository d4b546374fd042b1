// `npm run soak`: five minutes of steady load through real Envoy with both filters and the authz
// server (bench/soak/run-soak.ts), then the verdict: after warm-up each process's RSS stays within
// ±10 % of its median, its fd count does not grow, and there are no errors beyond the injected ones.
//   npm run soak -- [--duration-s 300] [--warmup-s 60] [--rps 200] [--seed N] [--sample-every-s 5]
// Exit code 1 when the verdict fails.
import { parseArgs } from "node:util";
import { stopAll } from "../../scripts/lib/processes.ts";
import { runSoak } from "./run-soak.ts";

const { values } = parseArgs({
  options: {
    "duration-s": { type: "string", default: "300" },
    "warmup-s": { type: "string", default: "60" },
    rps: { type: "string", default: "200" },
    seed: { type: "string", default: "20261128" },
    "sample-every-s": { type: "string", default: "5" },
  },
});
const options = {
  durationS: Number(values["duration-s"]),
  warmupS: Number(values["warmup-s"]),
  rps: Number(values.rps),
  seed: Number(values.seed),
  sampleEveryS: Number(values["sample-every-s"]),
};

async function main(): Promise<number> {
  try {
    const result = await runSoak(options, (filters) =>
      console.log(
        `soak: ${options.durationS} s at ${options.rps} req/s (warm-up ${options.warmupS} s), filters: ${filters.join(", ") || "none"}`,
      ),
    );
    const { counts, seconds } = result;
    console.log(
      `requests ${counts.sent} in ${seconds.toFixed(1)} s (${(counts.sent / seconds).toFixed(1)} req/s): ` +
        `allowed ${counts.ok}, denied as expected ${counts.denied}, injected upstream 503 ${counts.injected} ` +
        `(the failing upstream answered ${counts.faultyUpstreamRequests} in ${counts.faultWindows} fault windows), ` +
        `errors ${counts.errors}, forged subject seen upstream ${counts.forgedSeenUpstream}`,
    );
    for (const e of counts.errorSamples) console.log(`  error: ${e}`);
    const mib = (k: number) => (k / 1024).toFixed(1);
    for (const [name, f] of Object.entries(result.flatness)) {
      console.log(
        `${name.padEnd(6)} RSS after warm-up: median ${mib(f.medianRssKiB)} MiB, min ${mib(f.minRssKiB)}, max ${mib(f.maxRssKiB)}, ` +
          `max deviation ${(f.maxDeviation * 100).toFixed(1)} %, drift ${(f.drift * 100).toFixed(1)} % (${f.samples} samples); ` +
          `fds ${f.firstFds} → ${f.lastFds} (max ${f.maxFds}), besides open connections ${f.firstOtherFds} → ${f.lastOtherFds} → ` +
          `${f.flat && f.fdsStable ? "flat" : "NOT FLAT"}`,
      );
      console.log(`       RSS series (MiB): ${(result.series[name] ?? []).map((s) => mib(s.rssKiB)).join(" ")}`);
    }
    console.log(result.pass ? "soak: PASS" : "soak: FAIL");
    return result.pass ? 0 : 1;
  } finally {
    await stopAll();
  }
}

process.exit(await main());
