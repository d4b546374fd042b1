// The traffic shaper's adaptive concurrency limit and priority shedding in the Node proxy-wasm
// host: in-flight accounting across workers on every way a stream can end, and the gradient
// controller moving the limit with latency.
import { describe, expect, it } from "vitest";
import { type HttpStream, type Pair, type ProxyWasmHost, proxyWasmHost } from "../host/index.ts";
import { header, ok, SHAPER_WASM, sharedInFlight, startShaper, stat, VM_ID } from "./shaper-host.ts";

/** A limit pinned at `limit` for the whole test: the controller stays in its minRTT probe. */
const pinned = (limit: number, extra: Record<string, unknown> = {}) => ({
  concurrency: { enabled: true, minRttConcurrency: limit, minRttSamples: 1000, ...extra },
});

const classes = {
  priorities: [
    { name: "high", share: 1, match: { headers: [{ name: "x-priority", exact: "high" }] } },
    { name: "low", share: 0.5 },
  ],
};

function open(host: ProxyWasmHost, worker: number, extra: Pair[] = []): HttpStream {
  const s = host.stream(worker);
  s.requestHeaders([[":method", "GET"], [":path", "/"], [":authority", "svc"], ...extra], true);
  host.drain();
  return s;
}

const refusedWith = (s: HttpStream, host = "x-meshward-shed-reason") =>
  s.state.localReply ? `${s.state.localReply.status} ${header(s.state.localReply.headers, host)}` : "admitted";

describe("in-flight accounting across workers", () => {
  it("shares one count: the limit holds over both workers and each end frees one slot", () => {
    const host = startShaper(pinned(4), 2);
    const streams = [0, 1, 0, 1].map((w) => open(host, w));
    expect(streams.map((s) => refusedWith(s))).toEqual(["admitted", "admitted", "admitted", "admitted"]);
    expect(sharedInFlight(host)).toBe(4);
    expect(stat(host, "in_flight")).toBe(4);
    const over = open(host, 1);
    expect(refusedWith(over)).toBe("503 concurrency-limit");
    expect(over.state.localReply?.details).toBe("meshward_concurrency_limited");
    over.complete(); // a refused stream held no slot
    expect(sharedInFlight(host)).toBe(4);

    // 1) normal response, 2) reset before any response, 3) a later filter's local reply.
    streams[0]?.responseHeaders([[":status", "200"]], true);
    streams[0]?.complete();
    expect(sharedInFlight(host)).toBe(3);
    streams[1]?.complete();
    expect(sharedInFlight(host)).toBe(2);
    streams[2]?.responseHeaders(
      [
        [":status", "504"],
        ["content-length", "0"],
      ],
      true,
    );
    streams[2]?.complete();
    streams[3]?.complete();
    streams[3]?.complete(); // Envoy never ends a stream twice; the host ignores it, so must we
    expect(sharedInFlight(host)).toBe(0);
    expect(stat(host, "in_flight")).toBe(0);
    expect(refusedWith(open(host, 0))).toBe("admitted");
  });

  it("releases exactly once under the spec's teardown order (done → log → delete) too", () => {
    const host = proxyWasmHost(SHAPER_WASM)
      .withPlugin(VM_ID)
      .withConfig(JSON.stringify(pinned(2)))
      .withWorkers(2)
      .withSpecTeardownOrder()
      .start();
    for (let round = 0; round < 5; round++) {
      const a = open(host, 0);
      const b = open(host, 1);
      expect([refusedWith(a), refusedWith(b), refusedWith(open(host, 0))]).toEqual([
        "admitted",
        "admitted",
        "503 concurrency-limit",
      ]);
      a.complete();
      b.complete();
      expect(sharedInFlight(host)).toBe(0);
    }
  });

  it("takes no slot for a rate-limited request or a stream that never reached the filter", () => {
    const host = startShaper({ ...pinned(4), rules: [{ name: "api", limit: { rate: 1, burst: 1 } }] }, 2);
    const first = open(host, 0);
    expect(refusedWith(first)).toBe("admitted");
    const limited = open(host, 1);
    expect(limited.state.localReply?.status).toBe(429);
    limited.complete();
    host.stream(1).complete(); // Envoy's access-log-only path: context created, on_log, no headers
    expect(sharedInFlight(host)).toBe(1);
    first.complete();
    expect(sharedInFlight(host)).toBe(0);
  });

  it("uses the configured reject status and reason header", () => {
    const host = startShaper(pinned(1, { rejectStatus: 429, reasonHeader: "x-shed" }), 1);
    open(host, 0);
    expect(refusedWith(open(host, 0), "x-shed")).toBe("429 concurrency-limit");
  });
});

describe("priority shedding", () => {
  it("sheds the low class at its share of the limit, the high class only at the full limit", () => {
    const host = startShaper({ ...pinned(4), ...classes }, 2);
    const high: Pair[] = [["x-priority", "high"]];
    expect(refusedWith(open(host, 0))).toBe("admitted");
    expect(refusedWith(open(host, 1))).toBe("admitted");
    expect(refusedWith(open(host, 0))).toBe("503 priority:low"); // ceil(4 × 0.5) = 2 in flight
    expect(refusedWith(open(host, 1, high))).toBe("admitted");
    expect(refusedWith(open(host, 0, high))).toBe("admitted");
    expect(refusedWith(open(host, 1, high))).toBe("503 concurrency-limit");
    expect(stat(host, "class.low.admitted")).toBe(2);
    expect(stat(host, "class.low.shed")).toBe(1);
    expect(stat(host, "class.high.admitted")).toBe(2);
    expect(stat(host, "class.high.shed")).toBe(1);
  });

  it("classifies by risk level: critical traffic keeps flowing while risky traffic is shed", () => {
    const host = startShaper(
      {
        ...pinned(10),
        priorities: [
          { name: "trusted", share: 1, match: { riskLevels: ["low"] } },
          { name: "risky", share: 0.3 },
        ],
      },
      2,
    );
    const risky: Pair[] = [["x-meshward-risk-level", "high"]];
    const trusted: Pair[] = [["x-meshward-risk-level", "low"]];
    const outcomes = Array.from({ length: 6 }, (_, i) => refusedWith(open(host, i % 2, risky)));
    expect(outcomes.filter((o) => o === "admitted")).toHaveLength(3);
    expect(outcomes.filter((o) => o === "503 priority:risky")).toHaveLength(3);
    const trustedOutcomes = Array.from({ length: 8 }, (_, i) => refusedWith(open(host, i % 2, trusted)));
    expect(trustedOutcomes.filter((o) => o === "admitted")).toHaveLength(7);
  });
});

describe("adaptive limit", () => {
  const adaptive = {
    concurrency: {
      enabled: true,
      minRttSamples: 5,
      minRttConcurrency: 5,
      initialLimit: 40,
      minLimit: 2,
      maxLimit: 100,
      sampleWindowMs: 1000,
      minSamplesPerWindow: 3,
      minRttIntervalMs: 600_000,
      smoothing: 1,
    },
  };

  /** Runs `n` requests on worker 0, each taking `latencyMs` upstream, 10 ms apart. */
  function traffic(host: ProxyWasmHost, n: number, latencyMs: number): void {
    for (let i = 0; i < n; i++) {
      host.exchange({ path: "/", worker: 0 }, () => {
        host.clock.advanceMs(latencyMs);
        return ok();
      });
      host.advance(10);
    }
  }

  it("drops the limit when the upstream slows down and raises it again when it recovers", () => {
    const host = startShaper(adaptive, 1);
    expect(stat(host, "concurrency_limit")).toBe(5); // probing minRTT
    traffic(host, 5, 10); // minRTT = 10 ms
    traffic(host, 100, 10); // 2 s of 1.25× gradients
    const fast = stat(host, "concurrency_limit");
    expect(fast).toBeGreaterThan(40);
    traffic(host, 40, 100); // 10× slower for 4.4 s: the gradient clamps at 0.5 per window
    const slow = stat(host, "concurrency_limit");
    expect(slow).toBeLessThan(fast / 4);
    traffic(host, 100, 10);
    expect(stat(host, "concurrency_limit")).toBeGreaterThan(slow * 2);
    expect(sharedInFlight(host)).toBe(0);
  });
});
