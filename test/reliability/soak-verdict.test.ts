// The soak run's verdict (bench/soak/process-sampler.ts) on made-up series: it must pass a flat
// series and fail a leaking one, or the 5-minute figures mean nothing.
import { describe, expect, it } from "vitest";
import { assessFlatness, type ProcessSample } from "../../bench/soak/process-sampler.ts";

const series = (rss: (i: number) => number, fds: (i: number) => number = () => 30): ProcessSample[] =>
  Array.from({ length: 48 }, (_, i) => ({ atS: 60 + i * 5, rssKiB: rss(i), fds: fds(i) }));

describe("soak flatness verdict", () => {
  it("passes RSS that wobbles around a level (GC) with a steady fd count", () => {
    const f = assessFlatness(series((i) => 100_000 + (i % 4) * 2_000));
    expect(f).toMatchObject({ flat: true, fdsStable: true });
    expect(f.maxDeviation).toBeLessThan(0.05);
  });

  it("fails a leak of 0.5 % per sample and a growing fd count", () => {
    const f = assessFlatness(
      series(
        (i) => 100_000 * 1.005 ** i,
        (i) => 30 + i,
      ),
    );
    expect(f.flat).toBe(false);
    expect(f.drift).toBeGreaterThan(0.1);
    expect(f.fdsStable).toBe(false);
  });
});
