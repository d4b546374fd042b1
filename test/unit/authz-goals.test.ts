// The authz bench's verdicts: medians of per-round ratios against the goals, "not measured" when a
// side is missing (no peer binary, no Redis), never a verdict from nothing.
import { describe, expect, it } from "vitest";
import { judgeGoals, pairedRatios, type RoundFigures } from "../../bench/load/authz-goals.ts";

const r = (throughputRps: number, cpuUsPerCheck: number, p99Ms: number): RoundFigures => ({
  throughputRps,
  cpuUsPerCheck,
  p50Ms: p99Ms / 3,
  p99Ms,
  errors: 0,
});

describe("judgeGoals", () => {
  it("pairs rounds and judges the median ratio", () => {
    const mine = [r(13000, 70, 1.2), r(14000, 65, 1.4), r(9000, 90, 3)];
    const peer = [r(10000, 100, 1.5), r(10000, 100, 1.5), r(10000, 100, 1.5)];
    expect(pairedRatios(mine, peer, "cpuUsPerCheck")).toEqual([0.7, 0.65, 0.9]);
    const rows = judgeGoals({ meshward: { logsOff: mine, logsOn: mine }, peer: { logsOff: peer, logsOn: peer } }, 9.5);
    const byGoal = Object.fromEntries(rows.map((row) => [row.goal, row]));
    const off = (g: string) => byGoal[`${g}, decision logs off`];
    expect(off("throughput at saturation, Meshward / opa-envoy-plugin")).toMatchObject({ verdict: "met" });
    expect(off("throughput at saturation, Meshward / opa-envoy-plugin")?.measured).toMatch(/^1\.30×/);
    expect(off("CPU per check, Meshward / opa-envoy-plugin")).toMatchObject({ verdict: "met" });
    expect(off("p99 at the fixed rate, Meshward / opa-envoy-plugin")).toMatchObject({ verdict: "met" });
    expect(rows.find((row) => row.goal.startsWith("p99 at the fixed rate, Meshward, decision logs off"))).toMatchObject(
      {
        verdict: "met",
      },
    );
    expect(rows.find((row) => row.goal.startsWith("in-process Check"))).toMatchObject({ verdict: "met" });
  });

  it("says 'not measured' without the peer, Redis or the in-process figure, and 'missed' past a goal", () => {
    const mine = [r(5000, 150, 4)];
    const rows = judgeGoals({ meshward: { logsOff: mine, logsOn: mine } }, undefined);
    for (const row of rows.filter((x) => x.goal.includes("opa-envoy-plugin"))) expect(row.verdict).toBe("not measured");
    expect(rows.find((x) => x.goal.includes("Redis"))?.verdict).toBe("not measured");
    expect(rows.find((x) => x.goal.startsWith("in-process"))?.verdict).toBe("not measured");
    expect(rows.find((x) => x.goal.startsWith("p99 at the fixed rate, Meshward, decision logs on"))?.verdict).toBe(
      "missed",
    );
  });
});
