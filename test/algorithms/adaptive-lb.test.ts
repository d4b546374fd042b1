// adaptive-lb pure modules: peak-EWMA maths, load cost, P2C, outcome classification, outlier
// back-off and budget, slow start, trend score. Exact values are pinned (the formulas are
// recomputed here in JS doubles; AssemblyScript's Math.exp agrees to the last digit shown).
import { beforeAll, describe, expect, it } from "vitest";
import type { AlgorithmsApi } from "./algorithms-api.ts";
import { loadAlgorithms } from "./wasm.ts";

let api: AlgorithmsApi;
beforeAll(async () => {
  api = await loadAlgorithms();
});

const MS = 1e6;
const S = 1e9;

describe("peak-EWMA", () => {
  it("starts at the default RTT and decays towards zero on read: 10 ms · e^-1 after one decay", () => {
    const h = api.ewmaNew(10 * MS, 10 * S, 1, 0);
    expect(api.ewmaCostAt(h, 0)).toBe(10 * MS);
    expect(api.ewmaCostAt(h, 10 * S)).toBeCloseTo(3678794.4117144234, 6); // 1e7 · 0.36787944117144233
    expect(api.ewmaCostAt(h, 0)).toBe(10 * MS); // reading does not mutate
  });

  it("jumps to a peak at once and blends lower samples with w = exp(-Δ/τ)", () => {
    const h = api.ewmaNew(10 * MS, 10 * S, 1, 0);
    expect(api.ewmaObserve(h, 20 * MS, 1 * S)).toBe(true);
    expect(api.ewmaCostAt(h, 1 * S)).toBe(20 * MS);
    api.ewmaObserve(h, 5 * MS, 2 * S);
    // e^-0.1 · 2e7 + (1 − e^-0.1) · 5e6
    expect(api.ewmaCostAt(h, 2 * S)).toBeCloseTo(18572561.27053939, 6);
  });

  it("peak sensitivity s moves only s of the way to a higher sample", () => {
    const h = api.ewmaNew(10 * MS, 10 * S, 0.5, 0);
    api.ewmaObserve(h, 30 * MS, 0);
    expect(api.ewmaCostAt(h, 0)).toBe(20 * MS);
  });

  it("rejects NaN, infinite and negative samples (they would poison the estimate)", () => {
    const h = api.ewmaNew(10 * MS, 10 * S, 1, 0);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1]) expect(api.ewmaObserve(h, bad, 1 * S)).toBe(false);
    expect(api.ewmaCostAt(h, 0)).toBe(10 * MS);
  });

  it("a clock going backwards neither decays nor un-decays", () => {
    const h = api.ewmaNew(10 * MS, 10 * S, 1, 0);
    api.ewmaObserve(h, 50 * MS, 5 * S);
    api.ewmaObserve(h, 1 * MS, 3 * S); // Δ = 0 → w = 1 → the sample has no weight
    expect(api.ewmaCostAt(h, 3 * S)).toBe(50 * MS);
    expect(api.ewmaCostAt(h, 5 * S)).toBe(50 * MS);
  });

  it("clamps a zero decay to 1 µs instead of dividing by zero", () => {
    const h = api.ewmaNew(10 * MS, 0, 1, 0);
    expect(api.ewmaCostAt(h, 0)).toBe(10 * MS);
    expect(api.ewmaCostAt(h, 1000)).toBeCloseTo(10 * MS * Math.exp(-1), 3);
    api.ewmaObserve(h, 2 * MS, 1 * MS);
    expect(Number.isFinite(api.ewmaCostAt(h, 1 * MS))).toBe(true);
  });

  it("invalid default RTT and sensitivity fall back to 0 and 1", () => {
    const h = api.ewmaNew(Number.NaN, 10 * S, 7, 0);
    expect(api.ewmaCostAt(h, 0)).toBe(0);
    api.ewmaObserve(h, 4 * MS, 0);
    expect(api.ewmaCostAt(h, 0)).toBe(4 * MS);
  });
});

describe("load cost = rtt × (pending + 1) / weight", () => {
  it.each([
    [10 * MS, 0, 1, 10 * MS],
    [10 * MS, 2, 1, 30 * MS],
    [10 * MS, 2, 0.5, 60 * MS],
    [10 * MS, -3, 1, 10 * MS],
    [10 * MS, 0, 0, 10 * MS * 1e6],
    [10 * MS, 0, Number.NaN, 10 * MS * 1e6],
  ])("rtt %d, pending %d, weight %d → %d", (rtt, pending, weight, expected) => {
    expect(api.loadCost(rtt, pending, weight)).toBe(expected);
  });
});

describe("P2C", () => {
  const pickWith = (loads: number[], n: number) => {
    api.p2cClear();
    for (const l of loads) api.p2cPush(l);
    const counts = loads.map(() => 0);
    for (let i = 0; i < n; i++) {
      const p = api.p2cPick();
      counts[p] = (counts[p] as number) + 1;
    }
    return counts;
  };

  it("empty → −1, one candidate → 0", () => {
    api.rngSeed(1n);
    api.p2cClear();
    expect(api.p2cPick()).toBe(-1);
    api.p2cPush(5);
    expect(api.p2cPick()).toBe(0);
  });

  it("with two candidates always takes the lower load; NaN never wins", () => {
    api.rngSeed(2n);
    expect(pickWith([5, 1], 200)).toEqual([0, 200]);
    expect(pickWith([Number.NaN, 1], 200)).toEqual([0, 200]);
    expect(pickWith([1, Number.NaN], 200)).toEqual([200, 0]);
  });

  it("picks with the P2C probabilities: P(i) = (n−1−rank_i) / C(n,2) → 1/2, 1/3, 1/6, 0 for n = 4", () => {
    api.rngSeed(3n);
    const counts = pickWith([1, 2, 3, 4], 60_000);
    const expected = [0.5, 1 / 3, 1 / 6, 0];
    counts.forEach((c, i) => {
      expect(Math.abs(c / 60_000 - (expected[i] as number))).toBeLessThan(0.01);
    });
    expect(counts[3]).toBe(0);
  });

  it("samples distinct pairs uniformly over the n(n−1) ordered pairs", () => {
    api.rngSeed(4n);
    const seen = new Map<number, number>();
    for (let i = 0; i < 30_000; i++) {
      const p = api.p2cPair(3);
      const a = Math.floor(p / 65536);
      const b = p % 65536;
      expect(a).not.toBe(b);
      expect(a >= 0 && a < 3 && b >= 0 && b < 3).toBe(true);
      seen.set(p, (seen.get(p) ?? 0) + 1);
    }
    expect(seen.size).toBe(6);
    for (const c of seen.values()) expect(Math.abs(c / 30_000 - 1 / 6)).toBeLessThan(0.01);
  });
});

describe("outcome classification (status, Envoy response.flags)", () => {
  it.each([
    [200, 0, 0, "success"],
    [404, 0, 0, "4xx is the client's business"],
    [503, 0, 1, "5xx"],
    [0, 0x10, 2, "UR upstream remote reset"],
    [0, 0x20, 2, "UF connection failure"],
    [0, 0x40, 2, "UC connection termination"],
    [504, 0x4, 3, "UT timeout wins over status"],
    [503, 0x80, 4, "UO overflow is Envoy's own limit"],
    [0, 0, 4, "no status, no flags"],
  ])("status %d flags %d → %d (%s)", (status, flags, expected) => {
    expect(api.classifyOutcome(status, flags)).toBe(expected);
  });
});

describe("outlier ejection", () => {
  it.each([
    [0, 30],
    [1, 30],
    [2, 60],
    [3, 120],
    [4, 240],
    [5, 300],
    [1000, 300],
  ])("back-off: streak %d → %d s (base 30 s · 2^(k−1), capped at 300 s, no overflow)", (streak, seconds) => {
    expect(api.ejectionDuration(streak, 30 * S, 300 * S)).toBe(seconds * S);
  });

  it.each([
    [0, 50, 0],
    [1, 100, 0],
    [2, 100, 1],
    [4, 100, 3],
    [4, 50, 2],
    [3, 50, 1],
    [4, 10, 0],
    [10, 0, 0],
    [10, 35, 3],
  ])("budget: %d known at %d%% → at most %d ejected (never all)", (known, pct, max) => {
    expect(api.maxEjectable(known, pct)).toBe(max);
  });
});

describe("slow start", () => {
  it.each([
    [5 * S, 0, 10 * S, 1, 0.1, 0.5],
    [5 * S, 0, 10 * S, 2, 0.1, Math.SQRT1_2],
    [0, 0, 10 * S, 1, 0.1, 0.1],
    [0.5 * S, 0, 10 * S, 1, 0.1, 0.1],
    [10 * S, 0, 10 * S, 1, 0.1, 1],
    [1 * S, 0, 0, 1, 0.1, 1],
    [0, 5 * S, 10 * S, 1, 0.2, 0.2],
  ])("now %d, joined %d, window %d, aggression %d, min %d → %d", (now, joined, window, aggr, min, expected) => {
    expect(api.slowStartWeight(now, joined, window, aggr, min)).toBeCloseTo(expected, 12);
  });
});

describe("fault-prediction trend", () => {
  it("scores a latency rise: fast/slow EWMAs with α = 1 − exp(−Δ/τ), τf = 1 s, τs = 30 s", () => {
    const t = api.trendNew();
    api.trendObserve(t, 10 * MS, false, 0);
    expect(api.trendScore(t, 0)).toBe(0);
    api.trendObserve(t, 30 * MS, false, 1 * S);
    const fast = 1e7 + (1 - Math.exp(-1)) * 2e7;
    const slow = 1e7 + (1 - Math.exp(-1 / 30)) * 2e7;
    const score = (fast / slow - 1) / (3 - 1);
    expect(api.trendScore(t, 1 * S)).toBeCloseTo(score, 12);
    expect(api.trendScore(t, 1 * S)).toBeCloseTo(0.5624575553547877, 12);
    expect(api.trendWeight(t, 1 * S)).toBeCloseTo(1 - 0.8 * score, 12);
  });

  it("fades with exp(−Δ/τf) once samples stop, so a starved endpoint is not penalised for ever", () => {
    const t = api.trendNew();
    api.trendObserve(t, 10 * MS, false, 0);
    api.trendObserve(t, 30 * MS, false, 1 * S);
    const at1 = api.trendScore(t, 1 * S);
    expect(api.trendScore(t, 3 * S)).toBeCloseTo(at1 * Math.exp(-2), 12);
    expect(api.trendScore(t, 0.5 * S)).toBe(at1); // clock going backwards: no fading backwards
  });

  it("a steady endpoint, however slow, scores 0; an error burst scores by (fastErr − slowErr) / 0.5", () => {
    const t = api.trendNew();
    for (let i = 0; i <= 100; i++) api.trendObserve(t, 200 * MS, false, i * 100 * MS);
    expect(api.trendScore(t, 10 * S)).toBeCloseTo(0, 12);
    api.trendObserve(t, 200 * MS, true, 10.1 * S);
    const fastErr = 1 - Math.exp(-0.1);
    const slowErr = 1 - Math.exp(-0.1 / 30);
    expect(api.trendScore(t, 10.1 * S)).toBeCloseTo((fastErr - slowErr) / 0.5, 12);
  });

  it("ignores NaN and gives a backwards-clock sample no weight; score is capped at 1", () => {
    const t = api.trendNew();
    api.trendObserve(t, 10 * MS, false, 5 * S);
    api.trendObserve(t, Number.NaN, false, 6 * S);
    api.trendObserve(t, 500 * MS, true, 4 * S);
    expect(api.trendScore(t, 5 * S)).toBe(0);
    api.trendObserve(t, 1000 * MS, true, 6 * S); // error score (0.63 − 0.03) / 0.5 > 1 → capped
    expect(api.trendScore(t, 6 * S)).toBe(1);
    expect(api.trendWeight(t, 6 * S)).toBeCloseTo(0.2, 12);
  });
});
