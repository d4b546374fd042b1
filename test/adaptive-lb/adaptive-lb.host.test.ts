// The adaptive-lb filter in the Node proxy-wasm host: configure-time rejection, the endpoint
// header contract (client copies never pass), pick distribution, ejection and recovery, slow
// start, endpoint discovery and per-worker state. Upstreams are scripted: each request's latency
// and status come from the endpoint Envoy's override_host policy would have used.
import { describe, expect, it } from "vitest";
import { ConfigRejected, type ProxyWasmHost, proxyWasmHost } from "../host/index.ts";
import {
  adaptiveLbHost,
  adaptiveLbWasm,
  type Behaviour,
  begin,
  counter,
  drive,
  endpoints,
  exchange,
  finish,
  overrideHost,
  share,
} from "./lb-host.ts";

describe("configuration", () => {
  it("runs on defaults with an empty pluginConfig", () => {
    const host = adaptiveLbHost("");
    expect(host.logs.some((l) => l.message.includes("configured, header x-gateway-destination-endpoint"))).toBe(true);
  });

  it.each([
    [{ unknownField: 1 }, "unknownField"],
    [{ maxHostsInHeader: "3" }, "maxHostsInHeader"],
    [{ outlier: { maxEjectionPercent: 150 } }, "outlier.maxEjectionPercent"],
    [{ endpoints: ["orders:8080"] }, "endpoints[0]"],
    [{ header: "X-Upper" }, "header"],
    [{ trend: { fastDecayMs: 5000, slowDecayMs: 1000 } }, "trend.slowDecayMs"],
    ["{not json", "invalid JSON"],
  ])("rejects %j in on_configure, naming %s in the log", (config, field) => {
    // A first host owns the log list; the rejected one shares it so its log line can be read.
    const witness = adaptiveLbHost({});
    const start = () =>
      proxyWasmHost(adaptiveLbWasm)
        .withPlugin("adaptive-lb")
        .withSharedStateOf(witness)
        .withConfig(typeof config === "string" ? config : JSON.stringify(config))
        .start();
    expect(start).toThrow(ConfigRejected);
    const rejected = witness.logs.filter((l) => l.message.includes("pluginConfig rejected"));
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]?.message).toContain(field);
  });
});

describe("the endpoint header", () => {
  it("removes a client copy when the choice is left to Envoy (fewer than 2 known endpoints)", () => {
    const host = adaptiveLbHost({ endpoints: ["10.0.0.1:8080"] });
    const r = exchange(host, () => ({ address: "10.0.0.1:8080", status: 200, latencyMs: 1 }), {
      clientHeader: "10.9.9.9:80",
    });
    expect(r.header).toBeUndefined();
    expect(counter(host, "client_header_removed")).toBe(1);
    expect(counter(host, "fallbacks")).toBe(1);
  });

  it("overwrites a client copy with its own pick: primary then distinct fallbacks", () => {
    const cluster = endpoints(4);
    const host = adaptiveLbHost({ endpoints: cluster, maxHostsInHeader: 3 });
    for (let i = 0; i < 10; i++) {
      const r = exchange(host, (h) => ({ address: h?.split(",")[0] ?? null, status: 200, latencyMs: 2 }), {
        clientHeader: "10.9.9.9:80",
      });
      const hosts = r.header?.split(",") ?? [];
      expect(hosts).toHaveLength(3);
      expect(new Set(hosts).size).toBe(3);
      for (const h of hosts) expect(cluster).toContain(h);
    }
    expect(counter(host, "client_header_removed")).toBe(10);
    expect(counter(host, "picks")).toBe(10);
  });

  it("stamps the debug header with the serving endpoint's trend score when enabled", () => {
    const cluster = endpoints(2);
    const host = adaptiveLbHost({ endpoints: cluster, trend: { debugHeader: "x-meshward-trend" } });
    const r = exchange(host, (h) => ({ address: h?.split(",")[0] ?? null, status: 200, latencyMs: 2 }));
    const value = r.responseHeaders.find(([k]) => k === "x-meshward-trend")?.[1];
    expect(value).toMatch(/^10\.0\.0\.[12]:8080 trend=[01]\.\d{3}$/);
  });
});

describe("balancing", () => {
  it("spreads picks over equal endpoints", () => {
    const cluster = endpoints(4);
    const host = adaptiveLbHost({ endpoints: cluster, slowStart: { windowMs: 0 } });
    const served = drive(host, cluster, 100, () => ({ status: 200, latencyMs: 5 }));
    for (const e of cluster) expect(share(served, e)).toBeGreaterThan(0.15);
  });

  it("sends little traffic to a 10x slower endpoint", () => {
    const cluster = endpoints(4);
    const slow = cluster[3] as string;
    const host = adaptiveLbHost({ endpoints: cluster, slowStart: { windowMs: 0 } });
    const served = drive(host, cluster, 125, (a) => ({ status: 200, latencyMs: a === slow ? 50 : 5 }));
    expect(share(served, slow)).toBeLessThan(0.08);
  });

  it("ejects an endpoint after consecutive failures and takes it back after the ejection", () => {
    const cluster = endpoints(4);
    const bad = cluster[0] as string;
    const host = adaptiveLbHost({
      endpoints: cluster,
      slowStart: { windowMs: 0 },
      outlier: { consecutiveFailures: 3, baseEjectionMs: 5000 },
    });
    let failing = true;
    const behaviour: Behaviour = (a) => ({ status: a === bad && failing ? 503 : 200, latencyMs: 2 });
    drive(host, cluster, 25, behaviour);
    expect(counter(host, "ejections")).toBe(1);
    // While ejected, only exploration (1 in 16, Envoy's round robin) can reach it.
    const during = drive(host, cluster, 40, behaviour);
    expect(during.get(bad) ?? 0).toBeLessThanOrEqual(320 / 16 / 4 + 2);
    failing = false;
    // Past the ejection, and two decay times (10 s) for the failure-inflated RTT estimate to fade.
    host.clock.advanceMs(25_000);
    const after = drive(host, cluster, 100, behaviour);
    expect(share(after, bad)).toBeGreaterThan(0.1);
    expect(counter(host, "ejections")).toBe(1);
  });

  it("counts a reset (response flags, no status) as a failure", () => {
    const cluster = endpoints(3);
    const bad = cluster[2] as string;
    const host = adaptiveLbHost({ endpoints: cluster, outlier: { consecutiveFailures: 2 } });
    drive(host, cluster, 12, (a) => (a === bad ? { latencyMs: 1, flags: 0x10n } : { status: 200, latencyMs: 2 }));
    expect(counter(host, "ejections")).toBe(1);
  });

  it("ramps a newly discovered endpoint up over the slow-start window", () => {
    const known = endpoints(2);
    const fresh = "10.0.0.9:8080";
    const cluster = [...known, fresh];
    const host = proxyWasmHost(adaptiveLbWasm)
      .withPlugin("adaptive-lb")
      .withConfig(
        JSON.stringify({
          endpoints: known,
          ewma: { defaultRttMs: 5 },
          slowStart: { windowMs: 10_000, minWeight: 0.05 },
        }),
      )
      .withProperty(["upstream", "num_endpoints"], BigInt(cluster.length))
      .start();
    // Static endpoints ramp up from configure time too: let their window pass first.
    host.clock.advanceMs(15_000);
    // Discovery: one request in 16 goes to Envoy's fallback while the cluster has unknown hosts.
    const rr = { next: 0 };
    const steps: number[] = [];
    drive(host, cluster, 6, () => ({ status: 200, latencyMs: 5 }), { rr });
    expect(counter(host, "explorations")).toBeGreaterThan(0);
    for (let step = 0; step < 6; step++) {
      const served = drive(host, cluster, 25, () => ({ status: 200, latencyMs: 5 }), { rr });
      steps.push(share(served, fresh));
      host.clock.advanceMs(2500 - 25 * 5);
    }
    // Measured shares per step: 0, 0.11, 0.205, 0.305, 0.325, 0.335 — a ramp up to an equal third.
    expect(steps[0]).toBeLessThan(0.15);
    expect(steps[1]).toBeLessThan(0.25);
    for (let i = 1; i < 4; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1] as number);
    expect(steps[5]).toBeGreaterThan(0.25);
    // Once every cluster host is known, exploration stops.
    const before = counter(host, "explorations");
    drive(host, cluster, 8, () => ({ status: 200, latencyMs: 5 }), { rr });
    expect(counter(host, "explorations")).toBe(before);
  });
});

describe("destinations", () => {
  it("keeps one endpoint table per authority: one service's endpoints never go to another", () => {
    const orders = ["10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80"];
    const catalog = ["10.0.2.1:80", "10.0.2.2:80"];
    const host = adaptiveLbHost({});
    const rr = { orders: { next: 0 }, catalog: { next: 0 } };
    const headers = { orders: new Set<string>(), catalog: new Set<string>() };
    for (let i = 0; i < 200; i++) {
      for (const name of ["orders", "catalog"] as const) {
        const cluster = name === "orders" ? orders : catalog;
        const r = exchange(host, (h) => ({ address: overrideHost(h, cluster, rr[name]), status: 200, latencyMs: 1 }), {
          authority: name,
        });
        for (const h of r.header?.split(",") ?? []) headers[name].add(h);
      }
    }
    expect([...headers.orders].sort()).toEqual(orders);
    expect([...headers.catalog].sort()).toEqual(catalog);
    expect(counter(host, "served_elsewhere")).toBe(0);
  });

  it("uses one balancer for every authority when static endpoints name the destination", () => {
    const cluster = endpoints(2);
    const host = adaptiveLbHost({ endpoints: cluster });
    for (const authority of ["a", "b", "c"]) {
      const r = exchange(host, (h) => ({ address: h?.split(",")[0] ?? null, status: 200, latencyMs: 1 }), {
        authority,
      });
      expect(r.header?.split(",").sort()).toEqual(cluster);
    }
  });

  it("bounds the number of destinations: many authorities replace the least recently used", () => {
    const host = adaptiveLbHost({});
    const cluster = endpoints(2);
    const rr = { next: 0 };
    const run = (authority: string) =>
      exchange(host, (h) => ({ address: overrideHost(h, cluster, rr), status: 200, latencyMs: 1 }), { authority });
    for (let i = 0; i < 20; i++) run("orders");
    expect(run("orders").header).toBeDefined();
    for (let i = 0; i < 40; i++) run(`junk-${i}.example`); // more than MAX_DESTINATIONS (32)
    // "orders" was replaced: it starts learning again (no pick until two endpoints are known).
    expect(run("orders").header).toBeUndefined();
  });
});

describe("bookkeeping", () => {
  it("finishes a pending pick exactly once on a reset before any upstream (no upstream.address)", () => {
    const cluster = endpoints(2);
    const host = adaptiveLbHost({ endpoints: cluster, metrics: { maxEndpointGauges: 4 } });
    for (let i = 0; i < 5; i++) exchange(host, () => ({ address: null, latencyMs: 1, flags: 0x8n }));
    expect(counter(host, "unserved")).toBe(5);
    for (const e of cluster) {
      const name = `endpoint.${e.replaceAll(/[.:]/g, "_")}.pending`;
      expect(counter(host, name)).toBe(0);
    }
  });

  it("releases the primary when Envoy serves elsewhere and learns the serving endpoint", () => {
    const host = adaptiveLbHost({ endpoints: ["10.0.0.1:80", "10.0.0.2:80"] });
    for (let i = 0; i < 5; i++) exchange(host, () => ({ address: "10.0.0.7:80", status: 200, latencyMs: 1 }));
    expect(counter(host, "served_elsewhere")).toBeGreaterThanOrEqual(4);
    expect(counter(host, "endpoint.10_0_0_1_80.pending")).toBe(0);
    expect(counter(host, "endpoint.10_0_0_2_80.pending")).toBe(0);
    expect(host.stats().has("wasmcustom.meshward.adaptive_lb.endpoint.10_0_0_7_80.rtt_us")).toBe(true);
  });

  it("caps per-endpoint gauges", () => {
    const host = adaptiveLbHost({ metrics: { maxEndpointGauges: 3 } });
    for (let i = 0; i < 10; i++) exchange(host, () => ({ address: `10.1.0.${i}:80`, status: 200, latencyMs: 1 }));
    const endpointStats = [...host.stats().keys()].filter((k) => k.includes(".endpoint.") && k.endsWith(".rtt_us"));
    expect(endpointStats).toHaveLength(3);
  });

  it("keeps state per worker: a worker that saw failures ejects, the other does not", () => {
    const cluster = endpoints(4);
    const bad = cluster[0] as string;
    const host = adaptiveLbHost({ endpoints: cluster, outlier: { consecutiveFailures: 3 } }, 2);
    const rr = { next: 0 };
    for (let i = 0; i < 100; i++) {
      exchange(
        host,
        (h) => {
          const address = overrideHost(h, cluster, rr);
          return { address, status: address === bad ? 503 : 200, latencyMs: 2 };
        },
        { worker: 0 },
      );
    }
    expect(counter(host, "ejections")).toBe(1);
    // Worker 1 has seen nothing: it still picks the bad endpoint about a quarter of the time.
    const seen = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const r = exchange(host, () => ({ address: null, latencyMs: 0 }), { worker: 1 });
      const primary = r.header?.split(",")[0];
      if (primary) seen.set(primary, (seen.get(primary) ?? 0) + 1);
    }
    expect(share(seen, bad)).toBeGreaterThan(0.1);
  });
});

describe("per-endpoint gauges: set in Wasm memory per request, published on the root context's 1 s tick", () => {
  const gauge = (host: ProxyWasmHost, address: string, what: string) =>
    host.stats().get(`wasmcustom.meshward.adaptive_lb.endpoint.${address.replaceAll(/[.:]/g, "_")}.${what}`);
  const pendingSum = (host: ProxyWasmHost, cluster: string[]) =>
    cluster.reduce((n, e) => n + (gauge(host, e, "pending") ?? 0), 0);

  it("publishes pending as the sum over workers and the last completion's rtt_us / trend_permille at the tick", () => {
    const cluster = endpoints(2);
    const host = adaptiveLbHost({ endpoints: cluster }, 2);
    const open = [begin(host, { worker: 0 }), begin(host, { worker: 0 }), begin(host, { worker: 1 })];
    for (const o of open) expect(o.header).toBeDefined();
    expect(pendingSum(host, cluster)).toBe(0); // defined at the first pick, not yet published
    host.advance(1000); // one tick on each worker
    expect(pendingSum(host, cluster)).toBe(3);
    host.clock.advanceMs(20);
    for (const o of open) finish(o, { address: o.header?.split(",")[0] ?? null, status: 200, latencyMs: 0 });
    expect(pendingSum(host, cluster)).toBe(3); // still the last tick's snapshot
    const served = new Set(open.map((o) => o.header?.split(",")[0] as string));
    for (const e of served) expect(gauge(host, e, "rtt_us") ?? 0).toBe(0);
    host.advance(1000);
    expect(pendingSum(host, cluster)).toBe(0);
    // RTT of these requests: 1020 ms (tick + 20 ms); peak-EWMA jumps to a higher sample at once.
    for (const e of served) expect(gauge(host, e, "rtt_us")).toBeGreaterThan(1_000_000);
    for (const e of served) expect(gauge(host, e, "trend_permille")).toBeGreaterThanOrEqual(0);
  });

  it("makes no gauge host call per request and reads upstream.num_endpoints on one served request in 16", () => {
    const cluster = endpoints(2);
    const host = proxyWasmHost(adaptiveLbWasm)
      .withPlugin("adaptive-lb")
      .withConfig(JSON.stringify({ endpoints: cluster }))
      .withProperty(["upstream", "num_endpoints"], BigInt(cluster.length))
      .start();
    const rr = { next: 0 };
    const serve = (h: string | undefined) => ({ address: overrideHost(h, cluster, rr), status: 200, latencyMs: 1 });
    for (let i = 0; i < 32; i++) exchange(host, serve);
    host.recorder.reset();
    const n = 160;
    for (let i = 0; i < n; i++) exchange(host, serve); // 160 ms: no tick in between
    expect(host.recorder.counts.get("proxy_record_metric") ?? 0).toBe(0);
    expect(host.recorder.counts.get("proxy_increment_metric")).toBe(n); // the picks counter only
    // upstream.address, response.code, response.flags on each; num_endpoints on every 16th.
    expect(host.recorder.counts.get("proxy_get_property")).toBe(3 * n + n / 16);
    // Counters stay exact per request without any tick.
    expect(counter(host, "picks")).toBe(32 + n);
  });
});
