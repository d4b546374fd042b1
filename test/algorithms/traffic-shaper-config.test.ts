// traffic-shaper pluginConfig: table-driven rejections naming the field, defaults, round trip.
import { beforeAll, describe, expect, it } from "vitest";
import type { AlgorithmsApi } from "./algorithms-api.ts";
import { loadAlgorithms } from "./wasm.ts";

let api: AlgorithmsApi;
beforeAll(async () => {
  api = await loadAlgorithms();
});

const parse = (text: string) => {
  const out = api.tsConfigRoundTrip(text);
  return out.startsWith("ERR ") ? { error: out.slice(4) } : { config: JSON.parse(out) };
};
const rule = (extra: object = {}) => ({ name: "r", limit: { rate: 10 }, ...extra });

describe("traffic-shaper config", () => {
  it("defaults: no rules, deny on shared-data failure, 429 with headers on limited responses, limiter off", () => {
    const { config } = parse("");
    expect(config.rules).toEqual([]);
    expect(config.failureMode).toBe("deny");
    expect(config.limitedStatus).toBe(429);
    expect(config.rateLimitHeaders).toBe("limited");
    expect(config.concurrency.enabled).toBe(false);
    expect(config.identityHeaders).toEqual({
      subject: "x-meshward-subject",
      riskScore: "x-meshward-risk-score",
      riskLevel: "x-meshward-risk-level",
    });
    expect(parse("{}")).toEqual({ config });
  });

  it("a rule's burst defaults to ceil(rate), at least 1", () => {
    expect(parse(JSON.stringify({ rules: [rule({ limit: { rate: 2.5 } })] })).config.rules[0].limit).toEqual({
      rate: 2.5,
      unit: "second",
      burst: 3,
    });
    expect(parse(JSON.stringify({ rules: [rule({ limit: { rate: 0.1 } })] })).config.rules[0].limit.burst).toBe(1);
  });

  const rejected: Array<[string, unknown, string]> = [
    ["unknown field", { rule: [] }, "rule: unknown field"],
    ["missing rule name", { rules: [{ limit: { rate: 1 } }] }, "rules[0].name: required"],
    ["missing limit", { rules: [{ name: "a" }] }, "rules[0].limit: required"],
    ["missing rate", { rules: [{ name: "a", limit: {} }] }, "rules[0].limit.rate: required"],
    [
      "zero rate",
      { rules: [rule({ limit: { rate: 0 } })] },
      "rules[0].limit.rate: must be within [0.001, 1000000000], got 0",
    ],
    [
      "bad unit",
      { rules: [rule({ limit: { rate: 1, unit: "day" } })] },
      'rules[0].limit.unit: must be one of second|minute|hour, got "day"',
    ],
    [
      "burst below 1",
      { rules: [rule({ limit: { rate: 1, burst: 0.5 } })] },
      "rules[0].limit.burst: must be within [1, 1000000000], got 0.5",
    ],
    ["uppercase rule name", { rules: [rule({ name: "Writes" })] }, "rules[0].name: must use only a-z 0-9 . _ -"],
    ["duplicate rule", { rules: [rule(), rule()] }, 'rules[1].name: duplicate rule name "r"'],
    [
      "bad descriptor",
      { rules: [rule({ descriptor: "user" })] },
      'rules[0].descriptor: must be global|subject|source|authority|riskLevel|header:<lowercase name>, got "user"',
    ],
    ["uppercase descriptor header", { rules: [rule({ descriptor: "header:X-Key" })] }, "rules[0].descriptor: must be"],
    [
      "two path kinds",
      { rules: [rule({ match: { path: { prefix: "/a", exact: "/a" } } })] },
      "rules[0].match.path: needs exactly one of exact|prefix|glob",
    ],
    [
      "no path kind",
      { rules: [rule({ match: { path: {} } })] },
      "rules[0].match.path: needs exactly one of exact|prefix|glob",
    ],
    ["unknown match field", { rules: [rule({ match: { paths: [] } })] }, "rules[0].match.paths: unknown field"],
    [
      "header without name",
      { rules: [rule({ match: { headers: [{ exact: "x" }] } })] },
      "rules[0].match.headers[0].name: required",
    ],
    [
      "header present false",
      { rules: [rule({ match: { headers: [{ name: "x", present: false }] } })] },
      "rules[0].match.headers[0].present: only true is supported",
    ],
    [
      "bad CIDR",
      { rules: [rule({ match: { sourceCidrs: ["10.0.0.0/40"] } })] },
      'rules[0].match.sourceCidrs[0]: invalid CIDR "10.0.0.0/40"',
    ],
    [
      "bad risk level",
      { rules: [rule({ match: { riskLevels: ["severe"] } })] },
      "rules[0].match.riskLevels[0]: must be one of low|medium|high|critical",
    ],
    [
      "risk score out of range",
      { rules: [rule({ match: { minRiskScore: 101 } })] },
      "rules[0].match.minRiskScore: must be within [0, 100], got 101",
    ],
    [
      "method not a string",
      { rules: [rule({ match: { methods: [1] } })] },
      "rules[0].match.methods[0]: expected string, got number",
    ],
    ["failure mode", { failureMode: "open" }, 'failureMode: must be one of deny|allow|local, got "open"'],
    ["limited status", { limitedStatus: 200 }, "limitedStatus: must be within [400, 599], got 200"],
    [
      "identity header",
      { identityHeaders: { subject: "X-Sub" } },
      "identityHeaders.subject: must be a lowercase HTTP header name",
    ],
    [
      "limits inverted",
      { concurrency: { minLimit: 10, maxLimit: 5, initialLimit: 10 } },
      "concurrency.maxLimit: must be ≥ minLimit (10)",
    ],
    [
      "initial outside",
      { concurrency: { initialLimit: 5000 } },
      "concurrency.initialLimit: must be within [minLimit, maxLimit]",
    ],
    ["percentile", { concurrency: { percentile: 0 } }, "concurrency.percentile: must be within [0.01, 1], got 0"],
    [
      "priority share rising",
      {
        priorities: [
          { name: "a", share: 0.5 },
          { name: "b", share: 0.9 },
        ],
      },
      "priorities[1].share: must not exceed the share of the class above it",
    ],
    ["priority without name", { priorities: [{ share: 1 }] }, "priorities[0].name: required"],
    [
      "priority duplicate",
      { priorities: [{ name: "a" }, { name: "a", share: 0.5 }] },
      'priorities[1].name: duplicate class "a"',
    ],
    [
      "too many rules",
      { rules: Array.from({ length: 257 }, (_, i) => rule({ name: `r${i}` })) },
      "rules: more than 256 items",
    ],
  ];
  it.each(rejected)("rejects %s", (_name, config, message) => {
    const r = parse(JSON.stringify(config));
    expect(r.error).toBeDefined();
    expect(r.error).toContain(message);
  });

  it("round-trips a full config exactly", () => {
    const full = {
      identityHeaders: { subject: "x-sub", riskScore: "x-score", riskLevel: "x-level" },
      rules: [
        {
          name: "per-subject",
          match: {
            methods: ["GET", "POST"],
            path: { glob: "/api/*/items" },
            authority: "*.example.com",
            headers: [
              { name: "x-a", exact: "1" },
              { name: "x-b", prefix: "p" },
              { name: "x-c", glob: "g*" },
              { name: "x-d", present: true },
            ],
            sourceCidrs: ["10.0.0.0/8", "fd00::/8"],
            subjects: ["spiffe://mesh/*"],
            riskLevels: ["high", "critical"],
            minRiskScore: 50,
          },
          descriptor: "header:x-api-key",
          limit: { rate: 2.5, unit: "minute", burst: 7 },
          shadow: true,
        },
        {
          name: "global",
          match: {},
          descriptor: "global",
          limit: { rate: 1000, unit: "second", burst: 1000 },
          shadow: false,
        },
      ],
      descriptors: { maxKeys: 500, idleMs: 30000 },
      failureMode: "local",
      casRetries: 4,
      rateLimitHeaders: "all",
      limitedStatus: 503,
      concurrency: {
        enabled: true,
        minLimit: 2,
        maxLimit: 300,
        initialLimit: 20,
        sampleWindowMs: 500,
        minSamplesPerWindow: 20,
        percentile: 0.95,
        minRttIntervalMs: 60000,
        minRttJitter: 0.1,
        minRttSamples: 40,
        minRttConcurrency: 2,
        buffer: 0.5,
        smoothing: 0.3,
        rejectStatus: 529,
        reasonHeader: "x-shed",
      },
      priorities: [
        { name: "critical", share: 1, match: { headers: [{ name: "x-priority", exact: "critical" }] } },
        { name: "normal", share: 0.75, match: { riskLevels: ["low"] } },
        { name: "rest", share: 0.5, match: {} },
      ],
    };
    const first = parse(JSON.stringify(full));
    expect(first).toEqual({ config: full });
    const text = api.tsConfigRoundTrip(JSON.stringify(full));
    expect(api.tsConfigRoundTrip(text)).toBe(text);
  });
});
