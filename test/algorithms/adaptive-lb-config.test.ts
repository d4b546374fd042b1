// adaptive-lb pluginConfig: table-driven rejection cases (each message names the field), accepted
// edge values, and a round trip (parse → toJson → parse → toJson is a fixed point).
import { beforeAll, describe, expect, it } from "vitest";
import type { AlgorithmsApi } from "./algorithms-api.ts";
import { loadAlgorithms } from "./wasm.ts";

let api: AlgorithmsApi;
beforeAll(async () => {
  api = await loadAlgorithms();
});

const DEFAULTS = {
  header: "x-gateway-destination-endpoint",
  maxHostsInHeader: 3,
  minHealthyEndpoints: 2,
  endpoints: [],
  maxEndpoints: 64,
  endpointTtlMs: 60000,
  ewma: { decayMs: 10000, defaultRttMs: 10, peakSensitivity: 1, failurePenalty: 5 },
  outlier: {
    consecutiveFailures: 5,
    successRateMin: 0,
    successRateMinRequests: 20,
    successRateWindowMs: 10000,
    baseEjectionMs: 30000,
    maxEjectionMs: 300000,
    maxEjectionPercent: 50,
  },
  slowStart: { windowMs: 10000, aggression: 1, minWeight: 0.1 },
  trend: {
    enabled: true,
    fastDecayMs: 1000,
    slowDecayMs: 30000,
    latencyRatioFull: 3,
    errorRateFull: 0.5,
    maxWeightReduction: 0.8,
    debugHeader: "",
  },
  metrics: { maxEndpointGauges: 16 },
};

const parse = (text: string) => {
  const out = api.lbConfigRoundTrip(text);
  return out.startsWith("ERR ") ? { error: out.slice(4) } : { config: JSON.parse(out) };
};

describe("adaptive-lb config", () => {
  it("empty pluginConfig and {} mean all defaults", () => {
    expect(parse("")).toEqual({ config: DEFAULTS });
    expect(parse("  {}  ")).toEqual({ config: DEFAULTS });
  });

  const rejected: Array<[string, unknown, string]> = [
    ["unknown top-level field", { heder: "x" }, "heder: unknown field"],
    ["unknown nested field", { ewma: { decay: 1 } }, "ewma.decay: unknown field"],
    ["wrong type", { ewma: { decayMs: "10" } }, "ewma.decayMs: expected number, got string"],
    ["not an integer", { maxHostsInHeader: 2.5 }, "maxHostsInHeader: expected an integer, got 2.5"],
    [
      "above range",
      { outlier: { maxEjectionPercent: 150 } },
      "outlier.maxEjectionPercent: must be within [0, 100], got 150",
    ],
    ["below range", { maxHostsInHeader: 0 }, "maxHostsInHeader: must be within [1, 8], got 0"],
    [
      "peak sensitivity > 1",
      { ewma: { peakSensitivity: 1.5 } },
      "ewma.peakSensitivity: must be within [0, 1], got 1.5",
    ],
    ["header not lowercase", { header: "X-Dest" }, "header: must be a lowercase HTTP header name"],
    ["empty header", { header: "" }, "header: must not be empty"],
    ["object expected", { outlier: [] }, "outlier: expected object, got array"],
    ["bool expected", { trend: { enabled: 1 } }, "trend.enabled: expected boolean, got number"],
    [
      "hostname endpoint",
      { endpoints: ["example.com:80"] },
      'endpoints[0]: expected "IP:port" (IPv6 as "[addr]:port")',
    ],
    ["port out of range", { endpoints: ["10.0.0.1:70000"] }, "endpoints[0]: expected"],
    ["bad IPv4", { endpoints: ["10.0.0.256:80"] }, "endpoints[0]: expected"],
    ["bare IPv6", { endpoints: ["::1:80"] }, "endpoints[0]: expected"],
    [
      "duplicate endpoint",
      { endpoints: ["10.0.0.1:80", "10.0.0.1:80"] },
      'endpoints[1]: duplicate endpoint "10.0.0.1:80"',
    ],
    [
      "more endpoints than maxEndpoints",
      { maxEndpoints: 1, endpoints: ["10.0.0.1:80", "10.0.0.2:80"] },
      "endpoints: more entries than maxEndpoints (1)",
    ],
    [
      "cross-field ejection times",
      { outlier: { baseEjectionMs: 5000, maxEjectionMs: 1000 } },
      "outlier.maxEjectionMs: must be ≥ outlier.baseEjectionMs (5000)",
    ],
    [
      "cross-field trend decays",
      { trend: { fastDecayMs: 5000, slowDecayMs: 1000 } },
      "trend.slowDecayMs: must be greater than trend.fastDecayMs (5000)",
    ],
    ["debug header not lowercase", { trend: { debugHeader: "X-Trend" } }, "trend.debugHeader: must be a lowercase"],
    ["root not an object", [1], "(root): expected object, got array"],
  ];
  it.each(rejected)("rejects %s", (_name, config, message) => {
    const r = parse(JSON.stringify(config));
    expect(r.error).toBeDefined();
    expect(r.error).toContain(message);
  });

  it.each([
    ["trailing comma", '{"header":"x",}', "invalid JSON: offset 14: expected a string key"],
    ["duplicate key", '{"header":"a","header":"b"}', 'invalid JSON: offset 22: duplicate key "header"'],
    ["not JSON", "header: x", "invalid JSON: offset 0: unexpected character"],
  ])("rejects malformed JSON (%s) with the offset", (_name, text, message) => {
    expect(parse(text).error).toBe(message);
  });

  it("reports every problem at once", () => {
    const r = parse(JSON.stringify({ maxHostsInHeader: 0, ewma: { decayMs: -1 }, bogus: true }));
    expect(r.error?.split("; ")).toEqual([
      "maxHostsInHeader: must be within [1, 8], got 0",
      "ewma.decayMs: must be within [1, 3600000], got -1",
      "bogus: unknown field",
    ]);
  });

  it("accepts edge values: IPv6 endpoints, disabled features, null as absent", () => {
    const r = parse(
      JSON.stringify({
        endpoints: ["[::1]:8080", "[fd00::2]:80", "127.0.0.1:1"],
        outlier: { consecutiveFailures: 0, maxEjectionPercent: 0 },
        slowStart: { windowMs: 0 },
        trend: { enabled: false, debugHeader: "x-meshward-trend" },
        ewma: { peakSensitivity: 0, defaultRttMs: 0.001 },
        metrics: null,
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.config.endpoints).toEqual(["[::1]:8080", "[fd00::2]:80", "127.0.0.1:1"]);
    expect(r.config.ewma.defaultRttMs).toBe(0.001);
  });

  it("round-trips a non-default config exactly", () => {
    const custom = {
      ...DEFAULTS,
      header: "x-pick",
      maxHostsInHeader: 5,
      endpoints: ["10.0.0.1:80", "[::1]:9000"],
      ewma: { decayMs: 2500, defaultRttMs: 2.5, peakSensitivity: 0.75, failurePenalty: 12.5 },
      outlier: { ...DEFAULTS.outlier, successRateMin: 0.9, maxEjectionPercent: 33.3 },
      trend: { ...DEFAULTS.trend, debugHeader: "x-trend" },
    };
    const first = parse(JSON.stringify(custom));
    expect(first).toEqual({ config: custom });
    const again = api.lbConfigRoundTrip(JSON.stringify(first.config));
    expect(again).toBe(api.lbConfigRoundTrip(again));
    expect(JSON.parse(again)).toEqual(custom);
  });
});
