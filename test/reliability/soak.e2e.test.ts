// The short seeded variant of `npm run soak` (bench/soak/run-soak.ts): 60 s at 100 req/s through
// real Envoy with both filters and the authz server process, crossing one injected window of
// upstream 503s. Same verdict as the 5-minute run, on 1-second samples after a 30-second warm-up
// (the server's first major GCs fall in its first half minute): no errors beyond the injected
// ones, every /private denied, no forged subject upstream, RSS of both processes within ±10 % of
// its median and no growth of the fds besides open connections.
import { describe, expect, it } from "vitest";
import { runSoak } from "../../bench/soak/run-soak.ts";

describe("soak (short seeded variant of npm run soak)", () => {
  it("keeps both processes flat and loses nothing under steady load with an injected fault", async () => {
    const result = await runSoak({ durationS: 60, warmupS: 30, rps: 100, seed: 20261128, sampleEveryS: 1 });
    const { counts } = result;
    expect(result.filters).toEqual(expect.arrayContaining(["adaptive-lb", "traffic-shaper"]));
    expect(counts.errors, counts.errorSamples.join("\n")).toBe(0);
    expect(counts.sent).toBeGreaterThanOrEqual(5900);
    expect(counts.privateSent).toBeGreaterThan(0);
    expect(counts.denied).toBe(counts.privateSent);
    expect(counts.faultWindows).toBe(1); // the fault window really was crossed
    // Every 503 the failing upstream answered reached the client as such, and no other 503 did.
    expect(counts.injected).toBe(counts.faultyUpstreamRequests);
    expect(counts.ok + counts.denied + counts.injected).toBe(counts.sent);
    expect(counts.forgedSeenUpstream).toBe(0);
    for (const [name, f] of Object.entries(result.flatness)) {
      const series = (result.series[name] ?? []).map((s) => Math.round(s.rssKiB / 1024)).join(" ");
      expect(f.samples, name).toBeGreaterThanOrEqual(20);
      expect(f.maxDeviation, `${name} RSS (MiB): ${series}`).toBeLessThanOrEqual(0.1);
      expect(
        f.fdsStable,
        `${name} fds ${f.firstFds} → ${f.lastFds}, besides open connections ${f.firstOtherFds} → ${f.lastOtherFds}`,
      ).toBe(true);
    }
    expect(result.pass).toBe(true);
  }, 120_000);
});
