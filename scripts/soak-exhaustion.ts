// `npm run soak:exhaustion`: admission fairness over a long flood (test/security/fairness-run.ts).
// Against the authz server process with its production flags, default caps and the production check
// deadline, one caller keeps more checks in flight than check.maxInFlight (checks that wait on a JWKS
// that never answers), first on one gRPC connection, then on many HTTP connections from one
// address, while an honest caller sends plain checks with the 400 ms deadline. Reports per listener
// how many honest checks were decided, refused and late, with the machine's load average.
//   npm run soak:exhaustion -- [--seconds 30] [--lanes 576] [--honest-every-ms 25] [--max-in-flight N]
// Exit code 1 when an honest check was refused (MW_OVERLOADED) or failed; lateness is reported (it
// depends on the machine's load), not judged.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { CAPS } from "../test/security/exhaustion-run.ts";
import { runFairness } from "../test/security/fairness-run.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    lanes: { type: "string" },
    "honest-every-ms": { type: "string", default: "25" },
    "max-in-flight": { type: "string" },
  },
});
const maxInFlight = values["max-in-flight"] ? Number(values["max-in-flight"]) : CAPS.checks;
const options = {
  maxInFlight,
  seconds: Number(values.seconds),
  // More than the cap, so the flood is refused beyond its share all the time.
  floodLanes: values.lanes ? Number(values.lanes) : maxInFlight + maxInFlight / 8,
  honestEveryMs: Number(values["honest-every-ms"]),
};
// A gRPC connection carries at most grpc.maxConcurrentStreams (128) checks: the flood needs several
// to pass the cap, each a caller of its own for the fairness rule.
const floodConnections = Math.ceil(options.floodLanes / 96);

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function main(): Promise<number> {
  console.log(
    `soak:exhaustion: check.maxInFlight ${maxInFlight}, ${options.floodLanes} flooding checks ` +
      `(gRPC: ${floodConnections} connections), honest check every ` +
      `${options.honestEveryMs} ms, ${options.seconds} s per listener; load average ${load()}`,
  );
  const report = await runFairness({ ...options, floodConnections });
  let failed = false;
  for (const listener of ["grpc", "http"] as const) {
    const { flood, honest } = report[listener];
    const refused = (honest.counts.overloaded ?? 0) + (honest.counts.error ?? 0);
    const decided = honest.sent - refused - (honest.counts.deadline ?? 0);
    console.log(
      `${listener}: honest ${honest.sent} sent, ${decided} decided, ${refused} refused or failed, ` +
        `${honest.late} answered after 400 ms (slowest ${honest.maxMs.toFixed(0)} ms) ${JSON.stringify(honest.counts)}; ` +
        `flood ${flood.sent} sent ${JSON.stringify(flood.counts)}`,
    );
    if (refused > 0) failed = true;
  }
  console.log(`load average at the end ${load()}`);
  console.log(failed ? "FAIL: honest checks were refused" : "PASS: every honest check was decided or timed out");
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
