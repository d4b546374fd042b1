// Admission accuracy through real Envoy with 2 workers: the traffic shaper's shared token bucket
// against the goal (±2% of rate × seconds + burst over 10 s), with Envoy's native
// local_ratelimit measured in the same run on the same load for comparison (reported, not asserted).
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { closedLoop, type LoadResult } from "./closed-loop.ts";
import { connectionsPerWorker, nativeEnvoyConfig, shaperEnvoyConfig } from "./shaper-envoy.ts";

const RATE = 200; // tokens per second
const BURST = 200; // absorbs a 1 s stall of the load generator on a busy machine without losing tokens
const WINDOW_MS = 10_000;
const CONCURRENCY = 16; // closed loops: several connections, spread over both workers
const PACE_MS = 20; // ≤ 800 rps offered: 4× the rate, without starving Envoy of CPU

interface Accuracy {
  admitted: number;
  expected: number;
  /** An ideal bucket replayed on the client's send times (shows when the load itself stalled). */
  replayed: number;
  errorPct: number;
  offeredRps: number;
  workers: number[];
}

async function measure(envoy: RunningEnvoy): Promise<{ accuracy: Accuracy; load: LoadResult }> {
  const load = await closedLoop({
    url: `http://127.0.0.1:${envoy.listenerPort}/api/items`,
    concurrency: CONCURRENCY,
    durationMs: WINDOW_MS,
    paceMs: PACE_MS,
  });
  const admitted = load.samples.filter((s) => s.status === 200).length;
  const expected = (RATE * load.spanMs) / 1000 + BURST;
  return {
    load,
    accuracy: {
      admitted,
      expected,
      replayed: replayBucket(load.samples.map((s) => s.sentMs)),
      errorPct: ((admitted - expected) / expected) * 100,
      offeredRps: (load.samples.length / load.spanMs) * 1000,
      workers: await connectionsPerWorker(envoy),
    },
  };
}

/** Admissions of an exact token bucket (full at the first request) fed the given send times (ms). */
function replayBucket(sentMs: number[]): number {
  const times = [...sentMs].sort((a, b) => a - b);
  let tokens = BURST;
  let last = times[0] ?? 0;
  let admitted = 0;
  for (const t of times) {
    tokens = Math.min(BURST, tokens + ((t - last) * RATE) / 1000);
    last = t;
    if (tokens >= 1) {
      tokens -= 1;
      admitted++;
    }
  }
  return admitted;
}

type Measured = Awaited<ReturnType<typeof measure>>;

/**
 * Measures, and once more (after the bucket refilled) if the load generator stalled: when an exact
 * bucket fed the same send times falls 1% short of rate × span + burst, the offered load did not
 * keep the limit binding (a starved client on a busy machine), so that window says nothing about
 * the limiter. Returns every attempt, the last one being the one judged.
 */
async function measureBinding(envoy: RunningEnvoy, name: string): Promise<Measured[]> {
  const attempts: Measured[] = [];
  for (let i = 0; i < 2; i++) {
    if (i > 0) await sleep((BURST / RATE) * 1000 * 1.5);
    const m = await measure(envoy);
    attempts.push(m);
    console.log(`[traffic-shaper accuracy] ${show(name, m.accuracy)}; load average ${loadavg()[0]?.toFixed(1)}`);
    if (m.accuracy.replayed >= m.accuracy.expected * 0.99) break;
  }
  return attempts;
}

const show = (name: string, a: Accuracy) =>
  `${name}: admitted ${a.admitted}, expected ${a.expected.toFixed(1)} (rate ${RATE}/s × span + burst ${BURST}), ` +
  `error ${a.errorPct >= 0 ? "+" : ""}${a.errorPct.toFixed(2)}%, ideal bucket on the same send times ${a.replayed}, offered ${a.offeredRps.toFixed(0)} rps, ` +
  `connections per worker [${a.workers.join(", ")}]`;

describe("rate-limit accuracy over 10 s with Envoy --concurrency 2", () => {
  let upstream: SampleUpstream | undefined;
  let ours: RunningEnvoy | undefined;
  let native: RunningEnvoy | undefined;
  let result: { accuracy: Accuracy; load: LoadResult } | undefined;

  beforeAll(async () => {
    upstream = await startSampleUpstream("app");
    const at = { host: "127.0.0.1", port: upstream.port };
    [ours, native] = await Promise.all([
      startEnvoy(shaperEnvoyConfig(at, { rules: [{ name: "global", limit: { rate: RATE, burst: BURST } }] }), {
        concurrency: 2,
      }),
      startEnvoy(nativeEnvoyConfig(at, RATE, BURST), { concurrency: 2 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([ours?.stop(), native?.stop()]);
    await upstream?.close();
  });

  it("admits within ±2% of rate × seconds + burst (native local_ratelimit measured alongside)", async () => {
    if (!ours || !native) throw new Error("envoy not started");
    const attempts = await measureBinding(ours, "meshward traffic-shaper");
    await measureBinding(native, "envoy native local_ratelimit (50 ms fill)");
    result = attempts[attempts.length - 1] as Measured;
    expect(result.load.errors).toBe(0);
    expect(result.accuracy.offeredRps).toBeGreaterThan(RATE * 1.5); // the limit was really binding
    expect(result.accuracy.workers.filter((n) => n > 0)).toHaveLength(2); // both workers took traffic
    expect(Math.abs(result.accuracy.errorPct)).toBeLessThanOrEqual(2);
    // Against an exact bucket fed the same send times, the filter is off by at most 0.5%.
    expect(Math.abs(result.accuracy.admitted - result.accuracy.replayed)).toBeLessThanOrEqual(
      result.accuracy.replayed * 0.005,
    );
    const stats = await ours.stats();
    expect(stats.get("wasmcustom.meshward.traffic_shaper.shared_data_failures")).toBe(0); // no CAS gave up
    const admitted = attempts.reduce((n, a) => n + a.accuracy.admitted, 0);
    const sent = attempts.reduce((n, a) => n + a.load.samples.length, 0);
    expect(stats.get("wasmcustom.meshward.traffic_shaper.rule.global.allowed")).toBe(admitted);
    expect(stats.get("wasmcustom.meshward.traffic_shaper.rule.global.limited")).toBe(sent - admitted);
  });

  it("answers limited requests with 429, Retry-After and the RateLimit headers", () => {
    const limited = result?.load.samples.find((s) => s.status === 429);
    expect(limited).toBeDefined();
    const h = limited?.headers;
    expect(h?.get("retry-after")).toBe("1");
    expect(h?.get("ratelimit-policy")).toBe(`"global";q=${RATE};w=1`);
    expect(h?.get("ratelimit")).toMatch(/^"global";r=0;t=1$/);
  });
});
