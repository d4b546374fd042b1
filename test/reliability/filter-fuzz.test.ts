// Short seeded variant of the filter fuzzer (`npm run fuzz` runs >= 100 000 cases per filter), over
// every built filter listed in asconfig.json, plus shared data under contention between workers.
import { describe, expect, it } from "vitest";
import { fuzzTargets, listedFilters } from "./filters/catalog.ts";
import { runCounterContention } from "./filters/contention.ts";
import { runConfigFuzz, runTrafficFuzz } from "./filters/fuzz.ts";

const targets = fuzzTargets();

describe("filter fuzzing in the Node host (seeded, short)", () => {
  it("finds the built filters listed in asconfig.json", () => {
    expect(targets.map((t) => t.name)).toContain("conformance");
    for (const t of targets) expect(Object.keys(listedFilters())).toContain(t.name);
  });

  for (const target of targets) {
    it(`${target.name}: 1500 random exchanges, no trap, no memory growth after warm-up`, () => {
      const report = runTrafficFuzz(target, { cases: 1500, seed: 0xf11e });
      expect(report.failures).toEqual([]);
      expect(report.cases).toBe(1500);
      expect(report.pagesAtEnd).toEqual(report.pagesAfterWarmup);
    });

    it(`${target.name}: 150 configs, valid accepted, bad ones refused with a message`, () => {
      const report = runConfigFuzz(target, { cases: 150, seed: 0xc0f });
      expect(report.failures).toEqual([]);
      expect(report.cases).toBeGreaterThan(50);
    });
  }

  it("the traffic check can fail: a trapping request is reported", () => {
    const conformance = targets.find((t) => t.name === "conformance") as (typeof targets)[number];
    const trapping = {
      ...conformance,
      profile: { ...conformance.profile, steeringHeaders: () => [["x-conf-op", "trap"]] as [string, string][] },
    };
    const report = runTrafficFuzz(trapping, { cases: 50, seed: 1 });
    expect(report.failures[0]).toMatch(/VM failed/);
  });

  it("the config check can fail: the conformance filter refuses its reject configs", () => {
    const conformance = targets.find((t) => t.name === "conformance");
    const report = runConfigFuzz(conformance as NonNullable<typeof conformance>, { cases: 150, seed: 0xc0f });
    expect(report.rejected).toBeGreaterThan(10);
  });
});

describe("shared data under contention (4 worker VMs, reads interleaved with other workers' requests)", () => {
  it("keeps a pre-created counter exact: every reported increment is counted, give-ups are reported", () => {
    const report = runCounterContention({ requests: 2000, workers: 4, seed: 11, interleave: 0.5, precreate: true });
    expect(report.interleaved).toBeGreaterThan(1500);
    expect(report.finalCount).toBe(report.applied);
    expect(report.applied + report.gaveUp).toBe(report.requests);
  });

  it("loses at most workers-1 increments when the key is created under contention (Envoy has no create-if-absent)", () => {
    const report = runCounterContention({ requests: 2000, workers: 4, seed: 11, interleave: 0.5, precreate: false });
    const lost = report.applied - report.finalCount;
    expect(lost).toBeGreaterThanOrEqual(0);
    expect(lost).toBeLessThanOrEqual(3);
  });
});
