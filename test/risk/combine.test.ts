import { describe, expect, it } from "vitest";
import { combine, LEVEL_DEFAULTS, levelOf, saturate } from "../../authz-server/src/risk/combine.ts";

describe("saturate", () => {
  it("is 100·(1 − Π(1 − c/100)), rounded", () => {
    expect(saturate([])).toBe(0);
    expect(saturate([30])).toBe(30);
    expect(saturate([50, 50])).toBe(75);
    expect(saturate([60, 30, 20])).toBe(78); // 1 − 0.4·0.7·0.8 = 0.776
    expect(saturate([100, 5])).toBe(100);
    expect(saturate([250, -10])).toBe(100); // clamped per contribution
  });
  it("never decreases when a contribution is added", () => {
    const base = [12, 40, 7];
    for (const extra of [0, 0.5, 10, 99]) expect(saturate([...base, extra])).toBeGreaterThanOrEqual(saturate(base));
  });
});

describe("levels and combine", () => {
  it("maps scores to levels at the thresholds (30/60/85)", () => {
    expect([0, 29, 30, 59, 60, 84, 85, 100].map((s) => levelOf(s, LEVEL_DEFAULTS))).toEqual([
      "low",
      "low",
      "medium",
      "medium",
      "high",
      "high",
      "critical",
      "critical",
    ]);
  });
  it("sorts reasons by contribution and applies a level floor without lowering", () => {
    const reasons = [
      { signal: "a", contribution: 10, detail: "" },
      { signal: "b", contribution: 20, detail: "" },
    ];
    const r = combine(reasons, LEVEL_DEFAULTS);
    expect(r.score).toBe(28);
    expect(r.level).toBe("low");
    expect(r.reasons.map((x) => x.signal)).toEqual(["b", "a"]);
    expect(combine([], LEVEL_DEFAULTS, "high")).toEqual({ score: 60, level: "high", reasons: [] });
    expect(combine([{ signal: "x", contribution: 90, detail: "" }], LEVEL_DEFAULTS, "medium").score).toBe(90);
  });
});
