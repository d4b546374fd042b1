// GCRA maths: exact values, and on random arrivals the same decisions as a plain token bucket,
// never more than burst + rate·W admitted in any window W.
import { describe, expect, it } from "vitest";
import { epochUs, gcra, gcraLimit, RATE_EPOCH_SECONDS } from "../../authz-server/src/ratelimit/gcra.ts";
import { WorkloadRandom } from "../../bench/sim/random.ts";

describe("gcra", () => {
  it("admits a full burst at once, then one request per interval", () => {
    const limit = gcraLimit(10, 1, 3); // 10/s: T = 100 ms, τ = 300 ms
    expect(limit).toEqual({ intervalUs: 100_000, toleranceUs: 300_000 });
    let tat = 0;
    const at = (now: number) => {
      const o = gcra(limit, tat, now, 1);
      if (o.admitted) tat = o.tatUs;
      return o;
    };
    expect(at(1e9)).toEqual({ admitted: true, tatUs: 1e9 + 100_000, remaining: 2, resetUs: 100_000, retryUs: 0 });
    expect(at(1e9).remaining).toBe(1);
    expect(at(1e9).remaining).toBe(0);
    // The fourth in the same instant is refused and told when one interval has refilled.
    expect(at(1e9)).toEqual({
      admitted: false,
      tatUs: 1e9 + 300_000,
      remaining: 0,
      resetUs: 300_000,
      retryUs: 100_000,
    });
    expect(at(1e9 + 99_999).admitted).toBe(false);
    expect(at(1e9 + 100_000).admitted).toBe(true);
    // Idle for longer than the burst takes to refill: full again, not more.
    expect(at(1e9 + 10_000_000).remaining).toBe(2);
  });

  it("charges a cost of n as n requests and refuses what cannot fit at all", () => {
    const limit = gcraLimit(5, 1, 5);
    expect(gcra(limit, 0, 0, 5)).toMatchObject({ admitted: true, remaining: 0, resetUs: 1_000_000 });
    expect(gcra(limit, 0, 0, 6)).toMatchObject({ admitted: false, remaining: 5 });
  });

  it("matches a float token bucket on random arrivals and bounds every window", () => {
    const rng = new WorkloadRandom(19);
    const random = () => rng.next();
    // Plain comparisons collected, one expect at the end: ~1M expect() calls took 35 s on a busy machine.
    const mismatches: string[] = [];
    const overfullWindows: string[] = [];
    let windowsChecked = 0;
    for (const [rate, unit, burst] of [
      [100, 1, 50],
      [7, 1, 1],
      [600, 60, 5],
      [100_000, 1, 100_000],
      [3, 1, 10],
    ] as const) {
      const limit = gcraLimit(rate, unit, burst);
      const perUs = rate / (unit * 1e6);
      let tat = 0;
      let tokens: number = burst;
      let last = 0;
      let now = 5e12;
      const admittedAt: number[] = [];
      const meanGapUs = (unit * 1e6) / rate / 1.5; // offered load 1.5× the rate
      for (let i = 0; i < 20_000; i++) {
        now += Math.floor(random() * 2 * meanGapUs);
        tokens = Math.min(burst, tokens + (last === 0 ? 0 : (now - last) * perUs));
        last = now;
        const bucketAdmits = tokens >= 1 - 1e-9;
        if (bucketAdmits) tokens -= 1;
        const o = gcra(limit, tat, now, 1);
        if (o.admitted !== bucketAdmits) mismatches.push(`rate ${rate}/${unit}s burst ${burst} request ${i}`);
        if (o.admitted) {
          tat = o.tatUs;
          admittedAt.push(now);
        }
      }
      // Every window [t_i, t_j] between two admissions holds at most burst + rate·W.
      for (let i = 0; i < admittedAt.length; i += 97) {
        for (let j = i; j < admittedAt.length; j += 13) {
          const windowUs = (admittedAt[j] as number) - (admittedAt[i] as number);
          windowsChecked++;
          if (j - i + 1 > burst + windowUs * perUs + 1e-6)
            overfullWindows.push(`rate ${rate}/${unit}s burst ${burst}: ${j - i + 1} in ${windowUs} µs`);
        }
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(overfullWindows.slice(0, 5)).toEqual([]);
    expect(windowsChecked).toBeGreaterThan(100_000);
  });

  it("counts time in µs from 2025-01-01", () => {
    expect(epochUs(RATE_EPOCH_SECONDS * 1000)).toBe(0);
    expect(epochUs(RATE_EPOCH_SECONDS * 1000 + 1.5)).toBe(1500);
  });
});
