// Short seeded variant of `npm run bench:sim`: the real adaptive-lb module (compiled wasm) against
// round robin and least-request P2C in the deterministic simulator. Asserts orderings and the
// issue-4 ratio, not absolute times; the full run and its figures come from the bench script.
import { beforeAll, describe, expect, it } from "vitest";
import { find, runAll } from "../../bench/sim/run.ts";
import type { SimResult } from "../../bench/sim/simulate.ts";
import { loadAlgorithms } from "./wasm.ts";

let results: SimResult[];
beforeAll(async () => {
  const api = await loadAlgorithms();
  results = runAll(api, 11, 0.25); // 15 s (20 s for degrade-fail-heal) at 1000 req/s
});

describe("load-balancing simulation (seed 11, quarter length)", () => {
  it("with one endpoint 10x slower, ours beats round robin and least-request on p99 and sends less to it", () => {
    const rr = find(results, "one-slow-10x", "round-robin");
    const lr = find(results, "one-slow-10x", "least-request-p2c");
    const ours = find(results, "one-slow-10x", "meshward-adaptive");
    expect(ours.p99Ms).toBeLessThan(rr.p99Ms / 3);
    expect(ours.p99Ms).toBeLessThan(lr.p99Ms);
    expect(ours.badShare).toBeLessThan(lr.badShare);
    expect(ours.badShare).toBeLessThan(0.01);
    expect(rr.badShare).toBeCloseTo(0.25, 3);
  });

  it("keeps our p99 within 1.5x of the all-healthy p99", () => {
    const healthy = find(results, "all-healthy", "meshward-adaptive");
    const slow = find(results, "one-slow-10x", "meshward-adaptive");
    expect(slow.p99Ms / healthy.p99Ms).toBeLessThanOrEqual(1.5);
  });

  it("when an endpoint degrades then fails fast, ours avoids it and sees far fewer errors", () => {
    const rr = find(results, "degrade-fail-heal", "round-robin");
    const ours = find(results, "degrade-fail-heal", "meshward-adaptive");
    expect(ours.errors * 10).toBeLessThan(rr.errors);
    expect(ours.p99Ms).toBeLessThan(rr.p99Ms);
    expect(ours.badShare).toBeLessThan(rr.badShare);
  });

  it("shifts traffic away while the endpoint is slow or failing and brings it back after it heals", () => {
    const [healthy, slow, failing, healed] = find(results, "degrade-fail-heal", "meshward-adaptive")
      .badSharePerPhase as [number, number, number, number];
    expect(healthy).toBeGreaterThan(0.2);
    expect(slow).toBeLessThan(0.02);
    expect(failing).toBeLessThan(0.02);
    expect(healed).toBeGreaterThan(0.03);
  });

  it("is deterministic: the same seed gives the same results", async () => {
    const again = runAll(await loadAlgorithms(), 11, 0.05);
    const once = runAll(await loadAlgorithms(), 11, 0.05);
    expect(again).toEqual(once);
  });
});
