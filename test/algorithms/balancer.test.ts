// The adaptive balancer as the filter glue will drive it: pick → start → complete, with a fake
// clock. Covers the fallback rule, header value, ejection with budget and exponential back-off,
// recovery with slow start, failure penalty, fault prediction, endpoint learning, bounded
// cardinality and expiry.
import { beforeAll, describe, expect, it } from "vitest";
import type { AlgorithmsApi } from "./algorithms-api.ts";
import { loadAlgorithms } from "./wasm.ts";

let api: AlgorithmsApi;
beforeAll(async () => {
  api = await loadAlgorithms();
});

const MS = 1e6;
const S = 1e9;
const SUCCESS = 0;
const SERVER_ERROR = 1;
const IGNORED = 4;
const addresses = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}:80`);

function create(config: object, seed = 1n): number {
  const h = api.lbCreate(JSON.stringify(config), 0, seed);
  if (h < 0) throw new Error(api.getLastError());
  return h;
}

/** One request through slot `slot` completing after `rtt` with `outcome`. */
function request(h: number, slot: number, rtt: number, outcome: number, now: number): void {
  api.lbStart(h, slot);
  api.lbComplete(h, slot, rtt, outcome, now);
}

function pickCounts(h: number, n: number, now: number, picks: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < picks; i++) {
    expect(api.lbPick(h, now)).toBeGreaterThan(0);
    const slot = api.lbPicked(h, 0);
    counts[slot] = (counts[slot] as number) + 1;
  }
  return counts;
}

const noSlowStart = { slowStart: { windowMs: 0 } };

describe("adaptive balancer", () => {
  it("leaves the choice to Envoy's fallback with fewer than two endpoints", () => {
    const empty = create({});
    expect(api.lbPick(empty, 0)).toBe(0);
    expect(api.lbHeader(empty)).toBe("");
    const one = create({ endpoints: addresses(1) });
    expect(api.lbPick(one, 0)).toBe(0);
    expect(api.lbStat(one, "fallbacks")).toBe(1);
    expect(api.lbStat(one, "picks")).toBe(0);
  });

  it("writes primary then distinct P2C-chosen fallbacks, capped at maxHostsInHeader", () => {
    const h = create({ endpoints: addresses(4), maxHostsInHeader: 3, ...noSlowStart });
    request(h, 0, 40 * MS, SUCCESS, 1 * MS);
    request(h, 1, 30 * MS, SUCCESS, 1 * MS);
    request(h, 2, 5 * MS, SUCCESS, 1 * MS);
    request(h, 3, 20 * MS, SUCCESS, 1 * MS);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      expect(api.lbPick(h, 2 * MS)).toBe(3);
      const header = api.lbHeader(h).split(",");
      expect(header[0]).toBe(`10.0.0.${api.lbPicked(h, 0) + 1}:80`);
      expect(new Set(header).size).toBe(3);
      // P2C never picks the worst of its candidates: with 4 → 3 → 2 candidates the slowest
      // endpoint (40 ms) can never make it into a 3-host header
      expect(header).not.toContain("10.0.0.1:80");
      seen.add(header.join(","));
    }
    expect(seen.size).toBeGreaterThan(1);
    const two = create({ endpoints: addresses(2), maxHostsInHeader: 8 });
    expect(api.lbPick(two, 0)).toBe(2);
    const one = create({ endpoints: addresses(4), maxHostsInHeader: 1 });
    expect(api.lbPick(one, 0)).toBe(1);
    expect(api.lbHeader(one).split(",")).toHaveLength(1);
  });

  it("prefers the fast endpoint: a 10x slower one gets almost nothing", () => {
    const h = create({ endpoints: addresses(2), ...noSlowStart });
    request(h, 0, 10 * MS, SUCCESS, 1 * MS);
    request(h, 1, 100 * MS, SUCCESS, 1 * MS);
    expect(pickCounts(h, 2, 2 * MS, 100)).toEqual([100, 0]);
  });

  it("pending requests raise the cost: cost = rtt × (pending + 1)", () => {
    const h = create({ endpoints: addresses(2), ...noSlowStart });
    request(h, 0, 10 * MS, SUCCESS, 0);
    api.lbStart(h, 0);
    api.lbStart(h, 0);
    expect(api.lbPending(h, 0)).toBe(2);
    expect(api.lbCost(h, 0, 0)).toBe(30 * MS);
    api.lbComplete(h, 0, 10 * MS, IGNORED, 0);
    expect(api.lbPending(h, 0)).toBe(1);
    api.lbComplete(h, 0, 10 * MS, IGNORED, 0);
    api.lbComplete(h, 0, 10 * MS, IGNORED, 0); // an extra completion never drives pending below 0
    expect(api.lbPending(h, 0)).toBe(0);
  });

  it("records a failure as max(rtt, baseline RTT) × failurePenalty, so fast 503s do not attract traffic", () => {
    const h = create({ endpoints: addresses(2), ...noSlowStart, trend: { enabled: false } });
    request(h, 1, 1 * MS, SERVER_ERROR, 0); // no sample yet: baseline = defaultRttMs (10 ms)
    expect(api.lbCost(h, 1, 0)).toBe(50 * MS);
    request(h, 0, 20 * MS, SUCCESS, 0);
    request(h, 0, 1 * MS, SERVER_ERROR, 0);
    expect(api.lbCost(h, 0, 0)).toBe(100 * MS);
    // failures do not compound: the baseline (slow RTT average), not the inflated estimate, is penalised
    request(h, 0, 1 * MS, SERVER_ERROR, 0);
    request(h, 0, 1 * MS, SERVER_ERROR, 0);
    expect(api.lbCost(h, 0, 0)).toBe(100 * MS);
  });

  it("ejects after consecutive failures, within the max-ejection budget, never all", () => {
    const h = create({
      endpoints: addresses(4),
      ...noSlowStart,
      outlier: { consecutiveFailures: 3, maxEjectionPercent: 50, baseEjectionMs: 10_000 },
    });
    for (let slot = 0; slot < 4; slot++) for (let i = 0; i < 3; i++) request(h, slot, 10 * MS, SERVER_ERROR, 1 * S);
    const ejected = [0, 1, 2, 3].filter((s) => api.lbEjected(h, s));
    expect(ejected).toEqual([0, 1]);
    expect(api.lbStat(h, "ejections")).toBe(2);
    const counts = pickCounts(h, 4, 2 * S, 200);
    expect(counts[0]).toBe(0);
    expect(counts[1]).toBe(0);

    const all = create({ endpoints: addresses(2), outlier: { consecutiveFailures: 1, maxEjectionPercent: 100 } });
    request(all, 0, 10 * MS, SERVER_ERROR, 0);
    request(all, 1, 10 * MS, SERVER_ERROR, 0);
    expect([api.lbEjected(all, 0), api.lbEjected(all, 1)]).toEqual([true, false]);
    // one eligible endpoint left < minHealthyEndpoints (2): Envoy's fallback decides
    expect(api.lbPick(all, 1 * MS)).toBe(0);
  });

  it("returns an ejected endpoint after base · 2^(k−1), restarting its slow start", () => {
    const h = create({
      endpoints: addresses(3),
      outlier: { consecutiveFailures: 2, baseEjectionMs: 1_000, maxEjectionMs: 60_000, maxEjectionPercent: 50 },
      slowStart: { windowMs: 10_000, minWeight: 0.1 },
    });
    const fail = (now: number) => {
      request(h, 0, 10 * MS, SERVER_ERROR, now);
      request(h, 0, 10 * MS, SERVER_ERROR, now);
    };
    fail(20 * S);
    expect(api.lbEjected(h, 0)).toBe(true);
    api.lbPick(h, 20.999 * S);
    expect(api.lbEjected(h, 0)).toBe(true);
    api.lbPick(h, 21 * S);
    expect(api.lbEjected(h, 0)).toBe(false);
    // slow start restarted at 21 s: weight 0.1 → cost ×10 (before decay of the estimate)
    const justBack = api.lbCost(h, 0, 21 * S);
    request(h, 1, 10 * MS, SUCCESS, 21 * S);
    expect(justBack).toBeGreaterThan(9 * api.lbCost(h, 1, 21 * S));
    fail(21.5 * S); // second ejection in the streak: 2 s
    api.lbPick(h, 23.4 * S);
    expect(api.lbEjected(h, 0)).toBe(true);
    api.lbPick(h, 23.5 * S);
    expect(api.lbEjected(h, 0)).toBe(false);
  });

  it("ejects on a low success rate over a window with enough volume", () => {
    const h = create({
      endpoints: addresses(4),
      outlier: { consecutiveFailures: 0, successRateMin: 0.8, successRateMinRequests: 10, successRateWindowMs: 10_000 },
    });
    for (let i = 0; i < 9; i++) request(h, 0, 10 * MS, i % 2 === 0 ? SERVER_ERROR : SUCCESS, i * MS);
    expect(api.lbEjected(h, 0)).toBe(false); // 9 < min volume
    request(h, 0, 10 * MS, SUCCESS, 9 * MS); // 10 requests, 5 failures: 50% < 80%
    expect(api.lbEjected(h, 0)).toBe(true);
  });

  it("lowers the weight of an endpoint whose latency is rising before any ejection", () => {
    const h = create({ endpoints: addresses(2), ...noSlowStart });
    for (let i = 0; i < 300; i++) request(h, 0, 10 * MS, SUCCESS, i * 100 * MS);
    expect(api.lbTrend(h, 0, 29.9 * S)).toBeCloseTo(0, 9);
    const before = api.lbCost(h, 0, 30 * S);
    for (let i = 0; i < 10; i++) request(h, 0, 25 * MS, SUCCESS, 30 * S + i * 100 * MS);
    const score = api.lbTrend(h, 0, 30.9 * S);
    expect(score).toBeGreaterThan(0.3);
    expect(api.lbEjected(h, 0)).toBe(false);
    // the cost carries the trend: peak 25 ms divided by weight (1 − 0.8 · score)
    expect(api.lbCost(h, 0, 30.9 * S)).toBeCloseTo((25 * MS) / (1 - 0.8 * score), 0);
    expect(before).toBeLessThan(11 * MS);
    expect(api.lbTrend(h, 7, 0)).toBe(-1);
  });

  it("learns endpoints from responses, bounded by maxEndpoints (LRU eviction of idle learned ones)", () => {
    const h = create({ maxEndpoints: 2 });
    expect(api.lbLearn(h, "10.1.0.1:80", 1 * S)).toBe(0);
    expect(api.lbLearn(h, "10.1.0.2:80", 2 * S)).toBe(1);
    expect(api.lbLearn(h, "10.1.0.1:80", 3 * S)).toBe(0); // seen again: not new
    expect(api.lbLearn(h, "10.1.0.3:80", 4 * S)).toBe(1); // evicts .2 (least recently seen)
    expect(api.lbFind(h, "10.1.0.2:80")).toBe(-1);
    expect(api.lbStat(h, "evicted")).toBe(1);
    api.lbStart(h, 0);
    api.lbStart(h, 1);
    expect(api.lbLearn(h, "10.1.0.4:80", 5 * S)).toBe(-1); // both busy: refused, memory stays bounded
    expect(api.lbStat(h, "refused")).toBe(1);
    expect(api.lbSize(h)).toBe(2);
  });

  it("expires learned endpoints unseen for endpointTtlMs, keeps static ones", () => {
    const h = create({ endpoints: ["10.0.0.1:80"], endpointTtlMs: 5_000 });
    api.lbLearn(h, "10.2.0.1:80", 0);
    api.lbPick(h, 5 * S);
    expect(api.lbSize(h)).toBe(2);
    api.lbPick(h, 5.001 * S);
    expect(api.lbSize(h)).toBe(1);
    expect(api.lbFind(h, "10.0.0.1:80")).toBe(0);
    expect(api.lbStat(h, "expired")).toBe(1);
  });

  it("is deterministic for a seed", () => {
    const run = (seed: bigint) => {
      const h = create({ endpoints: addresses(4), ...noSlowStart }, seed);
      return Array.from({ length: 50 }, () => {
        api.lbPick(h, 0);
        return api.lbPicked(h, 0);
      });
    };
    expect(run(9n)).toEqual(run(9n));
    expect(run(9n)).not.toEqual(run(10n));
  });
});
