import { describe, expect, it } from "vitest";
import {
  createRequestRate,
  REQUEST_RATE_DEFAULTS,
  rateBaseline,
} from "../../../authz-server/src/risk/signals/request-rate.ts";
import { input, run, snapshot, T0 } from "../fixtures.ts";

const B = REQUEST_RATE_DEFAULTS.bucketMs;
const current = Math.floor(T0 / B);

describe("rateBaseline (EW mean and variance)", () => {
  it("follows m ← m + αd, v ← (1 − α)(v + αd²)", () => {
    // x = 10, 0, 20 with α = 0.5: m0 = 10; d = −10 → m = 5, v = 0.5·(0 + 0.5·100) = 25;
    // d = 15 → m = 12.5, v = 0.5·(25 + 0.5·225) = 68.75
    const b = rateBaseline(
      new Map([
        [97, 10],
        [99, 20],
        [100, 3],
      ]),
      100,
      0.5,
      60,
    );
    expect(b).toEqual({ mean: 12.5, std: Math.sqrt(68.75), buckets: 3 });
  });
  it("ignores buckets outside the history and the current one; null without history", () => {
    expect(rateBaseline(new Map([[100, 5]]), 100, 0.1, 60)).toBeNull();
    expect(
      rateBaseline(
        new Map([
          [10, 999],
          [95, 2],
        ]),
        100,
        0.1,
        10,
      ),
    ).toEqual({ mean: 2 * 0.9 ** 4, std: expect.any(Number), buckets: 5 });
  });
});

describe("request-rate", () => {
  const signal = createRequestRate(REQUEST_RATE_DEFAULTS);
  const steady = (n: number): Array<[number, number]> =>
    Array.from({ length: 10 }, (_, i) => [current - 10 + i, 2] as [number, number]).concat([[current, n]]);
  const at = (buckets: Array<[number, number]>) =>
    run(signal, input({ snapshot: snapshot({ rateBuckets: new Map(buckets) }) }));

  it("flags a burst far above a steady baseline: z = (c − m)/max(σ, minStd)", () => {
    // baseline exactly 2 with σ = 0 → minStd 1 → z = c − 2. c = 9 is below minCount 20.
    expect(at(steady(9))).toEqual([]);
    // c = 20: z = 18 ≥ zFull 10 → full weight 40
    expect(at(steady(20))).toEqual([
      {
        signal: "request-rate",
        contribution: 40,
        detail: "20 requests in the current 10 s bucket vs baseline 2.00 ± 0.00 (z = 18.0)",
      },
    ]);
  });
  it("ramps between zStart and zFull", () => {
    const s = createRequestRate({ ...REQUEST_RATE_DEFAULTS, minCount: 1 });
    // z = 7 − 2 = 5 → (5 − 4)/(10 − 4) = 1/6 → 40/6 = 6.67
    expect(run(s, input({ snapshot: snapshot({ rateBuckets: new Map(steady(7)) }) }))[0]?.contribution).toBe(6.67);
  });
  it("needs minHistoryBuckets of history and a principal", () => {
    expect(
      at([
        [current - 3, 1],
        [current, 50],
      ]),
    ).toEqual([]);
    expect(run(signal, input({ principal: null, snapshot: snapshot({ rateBuckets: new Map(steady(50)) }) }))).toEqual(
      [],
    );
  });
  it("counts idle buckets as zero", () => {
    // first bucket 10 ago with 2 requests, nothing since: mean = 2·0.9⁹ ≈ 0.77
    const out = at([
      [current - 10, 2],
      [current, 25],
    ]);
    expect(out[0]?.contribution).toBe(40);
    expect(out[0]?.detail).toContain(`baseline ${(2 * 0.9 ** 9).toFixed(2)}`);
  });
});
