// The adaptive-lb filter in real Envoy (override_host LB policy, fallback round robin) against
// four loopback upstreams, side by side with Envoy's own round robin and least request on the
// same upstreams and the same load: one endpoint turns 10x slower, then fails, then heals.
// Prints the measured figures (shares, p50/p99, 5xx counts).

import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig, OVERRIDE_HOST_HEADER } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { closedLoop, percentile, type Sample, shareOf } from "./closed-loop.ts";
import { adaptiveLbEnvoyConfig } from "./example-envoy.ts";
import { adaptiveLbWasm } from "./lb-host.ts";

const BASE_DELAY_MS = 50;
const SLOW_DELAY_MS = 10 * BASE_DELAY_MS;
const CONCURRENCY = 6;
/**
 * One worker: every balancer (one per worker) re-probes a slow endpoint about once per decay
 * time, so at this test's low rate (~110 requests/s per Envoy) two workers double the probe share
 * towards the 1 % that p99 can hide. Several workers are covered by the Node-host tests.
 */
const ENVOY_WORKERS = 1;
/** Requests after a change that the comparison leaves out, for every variant alike. */
const DETECTION_REQUESTS = 200;

type Variant = "adaptive-lb" | "round-robin" | "least-request";
const VARIANTS: Variant[] = ["adaptive-lb", "round-robin", "least-request"];

describe("adaptive-lb in real Envoy", () => {
  let upstreams: SampleUpstream[] = [];
  const envoys = new Map<Variant, RunningEnvoy>();
  const url = (v: Variant) => `http://127.0.0.1:${envoys.get(v)?.listenerPort}/orders`;
  const bad = () => upstreams[0] as SampleUpstream;

  /** The same load through every variant at once (same upstream conditions, same CPU noise). */
  const sideBySide = async (total: number) => {
    const results = await Promise.all(VARIANTS.map((v) => closedLoop(url(v), total, CONCURRENCY)));
    return new Map(VARIANTS.map((v, i) => [v, results[i] as Sample[]]));
  };
  const adaptiveStat = async (name: string) =>
    (await (envoys.get("adaptive-lb") as RunningEnvoy).stats()).get(`wasmcustom.meshward.adaptive_lb.${name}`) ?? 0;

  beforeAll(async () => {
    upstreams = await Promise.all(["a", "b", "c", "d"].map((n) => startSampleUpstream(n)));
    for (const u of upstreams) u.delayMs = BASE_DELAY_MS;
    const endpoints = upstreams.map((u) => ({ host: "127.0.0.1", port: u.port }));
    const configs: [Variant, Record<string, unknown>][] = [
      ["adaptive-lb", adaptiveLbEnvoyConfig(endpoints, adaptiveLbWasm)],
      ["round-robin", meshEnvoyConfig({ upstreams: endpoints, upstreamLbPolicy: "round-robin" })],
      ["least-request", meshEnvoyConfig({ upstreams: endpoints, upstreamLbPolicy: "least-request" })],
    ];
    const started = await Promise.allSettled(configs.map(([, c]) => startEnvoy(c, { concurrency: ENVOY_WORKERS })));
    started.forEach((r, i) => {
      if (r.status === "fulfilled") envoys.set((configs[i] as [Variant, unknown])[0], r.value);
    });
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  });

  afterAll(async () => {
    await Promise.all([...envoys.values()].map((e) => e.stop()));
    await Promise.all(upstreams.map((u) => u.close()));
  });

  it("learns the endpoints, shifts away from a slow then failing endpoint, takes it back, beats RR and LR on p99", async () => {
    // 1. Healthy: the filter learns the four endpoints from upstream.address.
    const healthy = (await sideBySide(300)).get("adaptive-lb") as Sample[];
    for (const u of upstreams) expect(shareOf(healthy, u.name)).toBeGreaterThan(0.1);
    expect(await adaptiveStat("picks")).toBeGreaterThan(200);

    // 2. Endpoint a turns 10x slower.
    bad().delayMs = SLOW_DELAY_MS;
    const slow = await sideBySide(800);
    // Shifted away within the first 200 requests (the first slow response arrives only after
    // 500 ms, and until then nothing tells the filter): from then on a serves under 5 %.
    const steady = (v: Variant) => (slow.get(v) as Sample[]).slice(DETECTION_REQUESTS);
    expect(shareOf(steady("adaptive-lb"), "a")).toBeLessThan(0.05);
    for (const v of VARIANTS) {
      const s = slow.get(v) as Sample[];
      console.log(
        `slow phase ${v.padEnd(13)} share(a)=${shareOf(s, "a").toFixed(3)} ` +
          `p50=${percentile(s, 50).toFixed(1)} ms p99=${percentile(s, 99).toFixed(1)} ms (n=${s.length}); ` +
          `after the first ${DETECTION_REQUESTS}: share(a)=${shareOf(steady(v), "a").toFixed(3)} ` +
          `p99=${percentile(steady(v), 99).toFixed(1)} ms`,
      );
    }
    // Tail latency once the change is known (same cut for every variant): clearly better. The
    // machine is shared and noisy, so p99 must beat both by 25 %+ and, robust to CPU noise, the
    // requests at least as slow as the slow endpoint must be a small fraction of theirs.
    const p99 = (v: Variant) => percentile(steady(v), 99);
    const slowCount = (v: Variant) => steady(v).filter((s) => s.latencyMs >= SLOW_DELAY_MS).length;
    console.log(
      `requests >= ${SLOW_DELAY_MS} ms after detection: ${VARIANTS.map((v) => `${v}=${slowCount(v)}`).join(" ")}`,
    );
    expect(p99("adaptive-lb")).toBeLessThan(0.75 * p99("round-robin"));
    expect(p99("adaptive-lb")).toBeLessThan(0.75 * p99("least-request"));
    expect(slowCount("adaptive-lb") * 5).toBeLessThan(slowCount("least-request"));
    expect(slowCount("adaptive-lb") * 5).toBeLessThan(slowCount("round-robin"));

    // 3. A client cannot steer traffic: naming a in the header does not send it there, and the
    //    upstream never sees the client's value.
    const steered = await closedLoop(
      url("adaptive-lb"),
      100,
      4,
      { [OVERRIDE_HOST_HEADER]: `127.0.0.1:${bad().port}` },
      true,
    );
    console.log(`steering attempt: share(a)=${shareOf(steered, "a").toFixed(3)} of ${steered.length}`);
    expect(shareOf(steered, "a")).toBeLessThan(0.1);
    for (const s of steered) expect(s.forwardedHeader).not.toBe(`127.0.0.1:${bad().port}`);
    expect(await adaptiveStat("client_header_removed")).toBe(100);

    // 4. Endpoint a now fails fast with 503.
    bad().delayMs = 0;
    bad().failWith = 503;
    const failing = await sideBySide(300);
    const errors = new Map(
      VARIANTS.map((v) => [v, (failing.get(v) as Sample[]).filter((s) => s.status >= 500).length]),
    );
    console.log(
      `failing phase 5xx of 300: ${VARIANTS.map((v) => `${v}=${errors.get(v)}`).join(" ")}; ` +
        `ejections=${await adaptiveStat("ejections")} explorations=${await adaptiveStat("explorations")}`,
    );
    expect(errors.get("adaptive-lb") as number).toBeLessThan(15);
    expect((errors.get("adaptive-lb") as number) * 4).toBeLessThan(errors.get("round-robin") as number);

    // 5. Healed: after the ejection and a few decay times, a gets its share back.
    bad().failWith = undefined;
    bad().delayMs = BASE_DELAY_MS;
    let recovered = 0;
    for (let attempt = 0; attempt < 8 && recovered <= 0.1; attempt++) {
      await sleep(1000);
      recovered = shareOf(await closedLoop(url("adaptive-lb"), 200, CONCURRENCY), "a");
      console.log(`healed +${attempt + 1} s: share(a)=${recovered.toFixed(3)}`);
    }
    expect(recovered).toBeGreaterThan(0.1);
  });

  it("publishes the per-endpoint gauges on its 1 s tick: in flight under load, settled after", async () => {
    const stats = async () => (envoys.get("adaptive-lb") as RunningEnvoy).stats();
    const gauge = (all: Map<string, number>, port: number, what: string) =>
      all.get(`wasmcustom.meshward.adaptive_lb.endpoint.127_0_0_1_${port}.${what}`);
    const pendingSum = (all: Map<string, number>) =>
      upstreams.reduce((n, u) => n + (gauge(all, u.port, "pending") ?? 0), 0);
    // ~2.5 s of load at CONCURRENCY requests of 50 ms: at least one tick falls inside it.
    const load = closedLoop(url("adaptive-lb"), 300, CONCURRENCY);
    await sleep(1800);
    const underLoad = pendingSum(await stats());
    await load;
    await sleep(1500);
    const settled = await stats();
    console.log(`pending gauges: under load ${underLoad}, after ${pendingSum(settled)}`);
    expect(underLoad).toBeGreaterThan(0);
    expect(underLoad).toBeLessThanOrEqual(CONCURRENCY);
    expect(pendingSum(settled)).toBe(0);
    for (const u of upstreams) {
      expect(gauge(settled, u.port, "rtt_us")).toBeGreaterThan(10_000); // 50 ms upstreams
      expect(gauge(settled, u.port, "trend_permille")).toBeGreaterThanOrEqual(0);
    }
  });
});
