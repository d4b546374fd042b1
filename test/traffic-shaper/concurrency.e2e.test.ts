// Adaptive concurrency and priority shedding through real Envoy with 2 workers: an upstream that
// slows down (longer service time, few requests served at once) makes the limit drop, the p99 of
// admitted requests stays bounded instead of growing with the queue (compared with the same load
// through an Envoy without the filter, in the same run), and the low class is shed first.
import { loadavg } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { closedLoop, percentile, type Sample } from "./closed-loop.ts";
import { shaperEnvoyConfig } from "./shaper-envoy.ts";

const LOOPS = 24; // half high priority, half low
const SLOW_SERVICE_MS = 200; // long against the scheduling noise of a busy 2-core machine
const SLOW_CAPACITY = 4;

const config = {
  concurrency: {
    enabled: true,
    minLimit: 2,
    maxLimit: 100,
    initialLimit: 60,
    sampleWindowMs: 250,
    minSamplesPerWindow: 2,
    minRttSamples: 20,
    minRttConcurrency: 8,
    minRttIntervalMs: 600_000, // one probe per test: the limit moves only by the gradient
    smoothing: 1, // no smoothing (as Envoy): the limit halves per window while the gradient clamps at 0.5
  },
  priorities: [
    { name: "high", share: 1, match: { headers: [{ name: "x-priority", exact: "high" }] } },
    { name: "low", share: 0.5 },
  ],
};

const limitGauge = async (envoy: RunningEnvoy) =>
  (await envoy.stats()).get("wasmcustom.meshward.traffic_shaper.concurrency_limit") ?? Number.NaN;

describe("adaptive concurrency and priority shedding with Envoy --concurrency 2", () => {
  let upstream: SampleUpstream | undefined;
  let envoy: RunningEnvoy | undefined;
  let plain: RunningEnvoy | undefined;

  beforeAll(async () => {
    upstream = await startSampleUpstream("app");
    const at = { host: "127.0.0.1", port: upstream.port };
    [envoy, plain] = await Promise.all([
      startEnvoy(shaperEnvoyConfig(at, config), { concurrency: 2 }),
      startEnvoy(meshEnvoyConfig({ upstreams: [at] }), { concurrency: 2 }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([envoy?.stop(), plain?.stop()]);
    await upstream?.close();
  });

  it("drops the limit when the upstream slows down, keeps admitted p99 bounded, sheds low priority first", async () => {
    if (!envoy || !plain || !upstream) throw new Error("not started");
    const run = (durationMs: number, through: RunningEnvoy = envoy as RunningEnvoy) =>
      closedLoop({
        url: `http://127.0.0.1:${through.listenerPort}/work`,
        concurrency: LOOPS,
        durationMs,
        headers: (i) => ({ "x-priority": i % 2 === 0 ? "high" : "low" }),
        backoffMs: 50,
      });
    upstream.delayMs = 5;
    const fast = await run(3000);
    const fastLimit = await limitGauge(envoy);

    upstream.delayMs = SLOW_SERVICE_MS;
    upstream.capacity = SLOW_CAPACITY;
    const slow = await run(6000);
    const slowLimit = await limitGauge(envoy);
    // The same slow upstream and load without the filter: the queue the limit keeps away.
    const unlimited = await run(4000, plain);
    const unlimitedP99 = percentile(
      unlimited.samples.filter((s) => s.sentMs >= 1000).map((s) => s.latencyMs),
      0.99,
    );

    // Judge the slow phase after the controller had 3 s (a dozen windows) to react.
    const settled = slow.samples.filter((s) => s.sentMs >= 3000);
    const admitted = settled.filter((s) => s.status === 200);
    const p99 = percentile(
      admitted.map((s) => s.latencyMs),
      0.99,
    );
    const byClass = (samples: Sample[], cls: number) => {
      const mine = samples.filter((s) => s.loop % 2 === cls);
      return {
        admitted: mine.filter((s) => s.status === 200).length,
        shed: mine.filter((s) => s.status === 503).length,
      };
    };
    const high = byClass(settled, 0);
    const low = byClass(settled, 1);
    const reasons = new Set(
      settled.filter((s) => s.status === 503).map((s) => s.headers.get("x-meshward-shed-reason")),
    );
    console.log(
      `[traffic-shaper concurrency] limit fast ${fastLimit} → slow ${slowLimit}; fast phase ${fast.samples.length} responses; ` +
        `slow phase (t ≥ 3 s): admitted p50 ${percentile(
          admitted.map((s) => s.latencyMs),
          0.5,
        ).toFixed(0)} ms p99 ${p99.toFixed(0)} ms (same load without the filter: p99 ${unlimitedP99.toFixed(0)} ms), ` +
        `high admitted ${high.admitted} shed ${high.shed}, low admitted ${low.admitted} shed ${low.shed}, reasons ${[...reasons].join(", ")}; load average ${loadavg()[0]?.toFixed(1)}`,
    );
    expect(fast.errors + slow.errors).toBe(0);
    expect(slowLimit).toBeLessThan(fastLimit / 2);
    expect(admitted.length).toBeGreaterThan(20);
    // LOOPS requests queue behind SLOW_CAPACITY slots without a limit: ~LOOPS/SLOW_CAPACITY × service.
    expect(unlimitedP99).toBeGreaterThan(((LOOPS / SLOW_CAPACITY) * SLOW_SERVICE_MS) / 2);
    expect(p99).toBeLessThan(unlimitedP99 * 0.6);
    expect(low.shed).toBeGreaterThan(high.shed);
    expect(high.admitted).toBeGreaterThan(low.admitted);
    expect(reasons.has("priority:low")).toBe(true);
    const stats = await envoy.stats();
    expect(stats.get("wasmcustom.meshward.traffic_shaper.class.low.shed")).toBeGreaterThan(0);
    // Every admitted stream gave its slot back on both workers.
    expect(stats.get("wasmcustom.meshward.traffic_shaper.in_flight")).toBe(0);
  });
});
