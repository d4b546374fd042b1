// The soak run's verdict (bench/soak/process-sampler.ts) on made-up series: it must pass a flat
// series and fail a leaking one, or the 5-minute figures mean nothing.
import { describe, expect, it } from "vitest";
import { assessFlatness, envoyOpenConnections, type ProcessSample } from "../../bench/soak/process-sampler.ts";

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

describe("soak fd verdict with connection counts", () => {
  const withConnections = (fds: (i: number) => number, connections: (i: number) => number): ProcessSample[] =>
    Array.from({ length: 48 }, (_, i) => ({
      atS: 60 + i * 5,
      rssKiB: 100_000,
      fds: fds(i),
      connections: connections(i),
    }));

  it("passes fds that grow only with the open connections (a connection pool reaching its peak)", () => {
    const f = assessFlatness(
      withConnections(
        (i) => 40 + Math.min(i, 20),
        (i) => 8 + Math.min(i, 20),
      ),
    );
    expect(f.fdsStable).toBe(true);
    expect(f).toMatchObject({ firstFds: 40, lastFds: 60, firstOtherFds: 32, lastOtherFds: 32 });
  });

  it("fails fds that grow while the open connections do not (a leak)", () => {
    const f = assessFlatness(
      withConnections(
        (i) => 40 + i,
        () => 8,
      ),
    );
    expect(f.fdsStable).toBe(false);
    expect(f.lastOtherFds - f.firstOtherFds).toBe(47);
  });
});

describe("Envoy open connections from /stats", () => {
  it("adds listener downstream and cluster upstream cx_active, not the http.* copies", () => {
    const stats = new Map<string, number>([
      ["listener.127.0.0.1_10000.downstream_cx_active", 16],
      ["listener.admin.downstream_cx_active", 1],
      ["http.ingress.downstream_cx_active", 16],
      ["cluster.upstream.upstream_cx_active", 9],
      ["cluster.ext_authz.upstream_cx_active", 2],
      ["cluster.upstream.upstream_cx_total", 40],
    ]);
    expect(envoyOpenConnections(stats)).toBe(28);
  });
});
