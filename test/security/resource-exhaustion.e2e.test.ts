// Resource exhaustion against the authz server process with its production Node flags
// (--max-old-space-size=384): bursts at 4× its caps over gRPC and HTTP — oversized messages, more
// checks in flight than allowed (held by a JWKS that never answers), more request bytes in flight
// than allowed (with and without waiting), slow clients on both listeners — while a worker thread
// sends normal checks with the production deadline (400 ms). The server's peak resident memory
// (VmHWM) must stay under the Deployment's limit (512 MiB), every call must get an answer, and normal
// checks must be answered within their deadline.
//
// Regression for the hostile review's third finding: 30 parallel ~7 MB CheckRequests (under the old
// 8 MiB limit) killed the server with a heap OOM; 15 left it at 530 MB resident.
// The short variant scales the in-flight caps down (32 checks, 4 MiB) so the 4× bursts stay cheap on a
// shared machine; `npm run fuzz -- --only exhaustion` runs the default caps (512 checks, 16 MiB).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CAPS,
  CHECK_DEADLINE_MS,
  type ExhaustionTarget,
  encodedCheck,
  grpcBurst,
  httpBurst,
  MEMORY_LIMIT_MIB,
  normalChecks,
  type ProbeStats,
  slowGrpcStreams,
  slowHttpClients,
  startExhaustionTarget,
} from "./exhaustion-run.ts";

const CHECKS_CAP = 32;
const BYTES_CAP = 4 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 1500;

const BASELINE_MS = 5000;

let target: ExhaustionTarget;
let probe: ReturnType<typeof normalChecks>;
let baseline: ProbeStats;
let grpcPort = 0;

const lateShare = (stats: ProbeStats) => stats.late / Math.max(1, stats.sent);

beforeAll(async () => {
  target = await startExhaustionTarget({
    maxInFlight: CHECKS_CAP,
    maxBytesInFlight: BYTES_CAP,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  grpcPort = target.authz.grpcPort;
  // The same probe without an attacker first: how late this machine makes honest checks by itself.
  const quiet = normalChecks(grpcPort);
  await quiet.ready;
  await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
  baseline = await quiet.stop();
  probe = normalChecks(grpcPort);
  await probe.ready;
}, 60_000);
afterAll(() => target?.close());

const answered = (counts: Record<string, number | undefined>) =>
  Object.entries(counts)
    .filter(([result]) => !["error", "deadline"].includes(result))
    .reduce((n, [, c]) => n + (c ?? 0), 0);

describe("bursts at 4× the caps", () => {
  it("refuses oversized messages from their length prefix (the reported 30 × 7 MB, and 4× the cap)", async () => {
    // A generous client deadline: the client sends 210 MB here, which takes a loaded machine a while.
    const reported = encodedCheck({ bodyBytes: 7_000_000 });
    expect(await grpcBurst(grpcPort, reported, 30, 30, 30_000)).toEqual({ "refused-size": 30 });
    const fourTimes = encodedCheck({ bodyBytes: 4 * CAPS.messageBytes });
    expect(await grpcBurst(grpcPort, fourTimes, 30, 30, 30_000)).toEqual({ "refused-size": 30 });
  });

  it("answers 4× the checks-in-flight cap, refusing the excess with MW_OVERLOADED", async () => {
    const counts = await grpcBurst(grpcPort, encodedCheck({ token: true }), 4 * CHECKS_CAP, 8, 30_000);
    expect(answered(counts)).toBe(4 * CHECKS_CAP);
    expect(counts.overloaded ?? 0).toBeGreaterThan(0);
  });

  it("answers 4× the bytes-in-flight cap of large checks, waiting or not", async () => {
    const size = CAPS.messageBytes - 4096;
    const count = Math.ceil((4 * BYTES_CAP) / size);
    // Waiting on the JWKS that never answers, the checks hold their bytes: the cap must refuse some.
    const waiting = await grpcBurst(grpcPort, encodedCheck({ bodyBytes: size, token: true }), count, 8, 30_000);
    expect(answered(waiting), JSON.stringify(waiting)).toBe(count);
    expect(waiting.overloaded ?? 0).toBeGreaterThan(0);
    // Not waiting, a check leaves as soon as it is decided, so whether four of them are ever in
    // flight at once depends on how fast this machine decides against how fast the bytes arrive
    // (on Node 24 it kept up: none refused). What must hold either way is that every call is answered.
    const deciding = await grpcBurst(grpcPort, encodedCheck({ bodyBytes: size, token: false }), count, 8, 30_000);
    expect(answered(deciding), JSON.stringify(deciding)).toBe(count);
  });

  it("does the same in HTTP mode", async () => {
    const count = Math.ceil((4 * BYTES_CAP) / CAPS.httpBodyBytes);
    const statuses = await httpBurst(target.authz.httpPort, CAPS.httpBodyBytes - 4096, count);
    expect(statuses.error).toBeUndefined();
    expect(statuses["503 MW_OVERLOADED"] ?? 0).toBeGreaterThan(0);
  });

  it("cuts off slow HTTP clients after http.requestTimeoutMs and bounds stalled gRPC streams", async () => {
    const before = target.rssMiB();
    const http = slowHttpClients(target.authz.httpPort, 100, 100);
    const grpc = slowGrpcStreams(grpcPort, 4 * 128, 4, CAPS.messageBytes - 16, 16 * 1024);
    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS + 2000));
    expect(http.stop()).toBe(100);
    grpc.stop();
    // 512 stalled streams × 16 KiB sent: a few MiB, not 512 × 1 MiB.
    expect(target.rssMiB() - before).toBeLessThan(128);
  });
});

describe("after the bursts", () => {
  let stats: ProbeStats;

  beforeAll(async () => {
    stats = await probe.stop();
  });

  it(`kept the server's peak resident memory under ${MEMORY_LIMIT_MIB} MiB`, () => {
    expect(target.peakRssMiB()).toBeLessThan(MEMORY_LIMIT_MIB);
  });

  it(`answered normal checks throughout, within the ${CHECK_DEADLINE_MS} ms deadline`, () => {
    expect(stats.sent).toBeGreaterThan(100);
    expect(baseline.sent).toBeGreaterThan(20);
    expect(stats.counts.error ?? 0).toBe(0);
    // Wall-clock timing on a shared 2-core machine, with the attacker in this process: the share of
    // late answers (MW_OVERLOADED counts as an answer) may exceed the share the same probe saw with
    // no attacker, on the same machine moments before, by at most 15 points — a machine starved by
    // other jobs makes both late, an attack that starves honest checks makes only the second. The
    // long run asks for none late; its figures are in RELIABILITY.md.
    const figures = JSON.stringify({ baseline, underAttack: stats });
    expect(lateShare(stats), figures).toBeLessThan(lateShare(baseline) + 0.15);
  });

  it("still allows a normal check", async () => {
    expect(await grpcBurst(grpcPort, encodedCheck(), 1, 1)).toEqual({ allow: 1 });
  });
});
