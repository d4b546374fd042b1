// The authz gRPC tier alone (the full `npm run bench` runs it too):
//   npm run bench:authz-grpc -- [--peer-opa-envoy PATH] [--rounds 5] [--quick] [--no-risk] [--workers N]
//                               [--compare NAME=CHECKOUT ...]
// `--compare main=/path/to/checkout` adds that checkout's server (logs off and on) to the same
// interleaved run: the A/B of a change against an older commit.
import { goalsTable, judgeGoals } from "./load/authz-goals.ts";
import { authzLoadOptions, authzTable, benchAuthzGrpc } from "./load/authz-grpc.ts";

const result = await benchAuthzGrpc(authzLoadOptions(process.argv.slice(2)));
console.log(
  `\nload average at start ${result.loadAverage.start.join(" ")}, at end ${result.loadAverage.end.join(" ")}\n`,
);
console.log(authzTable(result));
console.log();
console.log(goalsTable(judgeGoals(result.rounds, undefined)));
