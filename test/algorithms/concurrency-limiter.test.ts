// Gradient concurrency limiter: minRTT probe, pinned gradient steps, clamps, windows, jitter.
import { beforeAll, describe, expect, it } from "vitest";
import type { AlgorithmsApi } from "./algorithms-api.ts";
import { loadAlgorithms } from "./wasm.ts";

let api: AlgorithmsApi;
beforeAll(async () => {
  api = await loadAlgorithms();
});

const MS = 1e6;
const S = 1e9;
const PROBING = 0;
const SAMPLING = 1;

function limiter(overrides: object = {}, seed = 7n): number {
  const config = {
    concurrency: {
      enabled: true,
      minRttSamples: 5,
      minSamplesPerWindow: 5,
      sampleWindowMs: 100,
      initialLimit: 50,
      ...overrides,
    },
  };
  const h = api.limiterCreate(JSON.stringify(config), 0, seed);
  if (h < 0) throw new Error(api.getLastError());
  return h;
}

/** Feeds the minRTT probe `n` samples of `rtt`. */
function probe(h: number, rtt: number, n = 5, startNs = 0): void {
  for (let i = 0; i < n; i++) api.limiterSample(h, rtt, startNs + i * MS);
}

/** Envoy-style step then gradient2 smoothing, recomputed in JS. */
function step(limit: number, minRtt: number, sample: number, buffer = 0.25, smoothing = 0.2): number {
  const g = Math.min(2, Math.max(0.5, (minRtt * (1 + buffer)) / sample));
  const scaled = limit * g;
  return (1 - smoothing) * limit + smoothing * (scaled + Math.sqrt(scaled));
}

describe("gradient concurrency limiter", () => {
  it("starts by measuring minRTT at the pinned probe concurrency, then uses the initial limit", () => {
    const h = limiter();
    expect(api.limiterRaw(h, "phase")).toBe(PROBING);
    expect(api.limiterLimit(h)).toBe(3);
    probe(h, 10 * MS, 4);
    expect(api.limiterRaw(h, "phase")).toBe(PROBING);
    api.limiterSample(h, 12 * MS, 4 * MS);
    expect(api.limiterRaw(h, "phase")).toBe(SAMPLING);
    expect(api.limiterRaw(h, "minRtt")).toBe(12 * MS); // p90 nearest rank of 5 samples = the 5th
    expect(api.limiterLimit(h)).toBe(50);
  });

  it("pins the step maths: gradient = clamp(minRtt·(1+buffer)/sample, 0.5, 2), headroom √, smoothing 0.2", () => {
    const h = limiter();
    probe(h, 10 * MS);
    api.limiterUpdate(h, 10 * MS);
    expect(api.limiterRaw(h, "gradient")).toBe(1.25);
    expect(api.limiterRaw(h, "limit")).toBeCloseTo(54.081138830084186, 12);
    let expected = 54.081138830084186;
    for (const sample of [25 * MS, 1000 * MS, 5 * MS, 12.5 * MS]) {
      api.limiterUpdate(h, sample);
      expected = step(expected, 10 * MS, sample);
      expect(api.limiterRaw(h, "limit")).toBeCloseTo(expected, 9);
    }
    api.limiterUpdate(h, 1000 * MS);
    expect(api.limiterRaw(h, "gradient")).toBe(0.5);
    api.limiterUpdate(h, 1 * MS);
    expect(api.limiterRaw(h, "gradient")).toBe(2);
  });

  it("sustained high latency drives the limit down to minLimit; low latency up to maxLimit", () => {
    const h = limiter({ minLimit: 4, maxLimit: 200 });
    probe(h, 10 * MS);
    for (let i = 0; i < 200; i++) api.limiterUpdate(h, 100 * MS);
    expect(api.limiterRaw(h, "limit")).toBe(4);
    for (let i = 0; i < 200; i++) api.limiterUpdate(h, 10 * MS);
    expect(api.limiterRaw(h, "limit")).toBe(200);
    expect(api.limiterLimit(h)).toBe(200);
  });

  it("closes a window after sampleWindowMs once it holds enough samples; a short window stays open", () => {
    const h = limiter();
    probe(h, 10 * MS); // window starts at 4 ms
    for (let i = 0; i < 4; i++) api.limiterSample(h, 50 * MS, (10 + i) * MS);
    expect(api.limiterTick(h, 104 * MS)).toBe(false); // 4 < minSamplesPerWindow: the window stays open
    expect(api.limiterRaw(h, "updates")).toBe(0);
    expect(api.limiterRaw(h, "limit")).toBe(50);
    api.limiterSample(h, 50 * MS, 300 * MS); // the 5th sample closes the extended window
    expect(api.limiterRaw(h, "updates")).toBe(1);
    expect(api.limiterRaw(h, "limit")).toBeCloseTo(step(50, 10 * MS, 50 * MS), 9);
    for (let i = 0; i < 5; i++) api.limiterSample(h, 50 * MS, (310 + i) * MS);
    expect(api.limiterTick(h, 350 * MS)).toBe(false); // the next window (from 300 ms) is not over yet
    expect(api.limiterTick(h, 400 * MS)).toBe(true);
    expect(api.limiterRaw(h, "updates")).toBe(2);
  });

  it("ignores NaN/negative samples; a clock going backwards does not close a window", () => {
    const h = limiter();
    probe(h, 10 * MS);
    api.limiterSample(h, Number.NaN, 50 * MS);
    api.limiterSample(h, -1, 50 * MS);
    for (let i = 0; i < 5; i++) api.limiterSample(h, 20 * MS, 50 * MS);
    expect(api.limiterTick(h, 1 * MS)).toBe(false);
    expect(api.limiterRaw(h, "updates")).toBe(0);
  });

  it("schedules the next probe after minRttInterval plus jitter in [0, 15%)", () => {
    const probes = new Set<number>();
    for (let seed = 1n; seed <= 20n; seed++) {
      const h = limiter({}, seed);
      probe(h, 10 * MS);
      const next = api.limiterRaw(h, "nextProbe");
      expect(next).toBeGreaterThanOrEqual(4 * MS + 30 * S);
      expect(next).toBeLessThan(4 * MS + 30 * S * 1.15);
      probes.add(next);
    }
    expect(probes.size).toBeGreaterThan(15);
  });

  it("returns to probing once the probe time has passed", () => {
    const h = limiter({ minRttIntervalMs: 1000, minRttJitter: 0 });
    probe(h, 10 * MS);
    for (let i = 0; i < 5; i++) api.limiterSample(h, 10 * MS, 1.1 * S);
    api.limiterTick(h, 1.2 * S);
    expect(api.limiterRaw(h, "phase")).toBe(PROBING);
    expect(api.limiterLimit(h)).toBe(3);
    probe(h, 40 * MS, 5, 1.3 * S);
    expect(api.limiterRaw(h, "minRtt")).toBe(40 * MS);
  });
});
