// Admission fairness: a caller flooding checks that wait (a slow dependency) used to take every one
// of check.maxInFlight's slots, and an honest caller's checks were refused MW_OVERLOADED. Now the
// last quarter of the slots is kept for callers holding fewer than half of the free ones
// (authz-server/src/transport/admission.ts): the flood is still refused beyond its share, the
// honest caller's checks are decided. Real server process, real gRPC and HTTP clients on loopback.
// The long run is `npm run soak:exhaustion` (figures in RELIABILITY.md).
import { beforeAll, describe, expect, it } from "vitest";
import { type FairnessReport, runFairness } from "./fairness-run.ts";

let report: FairnessReport;

beforeAll(async () => {
  // A generous honest deadline: this asserts admission, not latency (the long run measures that).
  report = await runFairness({
    maxInFlight: 32,
    seconds: 2,
    floodLanes: 96,
    honestEveryMs: 50,
    honestDeadlineMs: 10_000,
  });
}, 120_000);

describe.each(["grpc", "http"] as const)("a flooding caller and an honest one over %s", (listener) => {
  it("refuses the flood beyond its share and decides every honest check", () => {
    const { flood, honest } = report[listener];
    const summary = JSON.stringify(report[listener]);
    // The flood reached the cap: part of it was refused...
    expect(
      Object.keys(flood.counts).some((result) => /overloaded|MW_OVERLOADED/.test(result)),
      summary,
    ).toBe(true);
    // ...and every honest check got a decision (the default policy allows GET /public/x; a server
    // starved of CPU past the check deadline would deny it MW_DEADLINE, still a decision), none was
    // refused MW_OVERLOADED.
    expect(honest.sent, summary).toBeGreaterThan(10);
    expect((honest.counts.allow ?? 0) + (honest.counts.deny ?? 0), summary).toBe(honest.sent);
    expect(honest.counts.allow, summary).toBeGreaterThan(0);
  });
});
