// Per-filter knowledge for the filter fuzzer: configs a filter must accept, broken configs it must
// refuse, and request headers that steer it (ops of the conformance filter, identity headers of the
// traffic shaper). A filter in asconfig.json without a profile here is still fuzzed with the
// default profile (empty config, random JSON that may be accepted or refused, random headers).
import type { Pair } from "../../host/index.ts";
import { type Random, TOKEN_CHARS } from "../random.ts";

export interface FilterProfile {
  /** Configs the filter must accept (one is used for the traffic run). */
  validConfigs(rand: Random): string[];
  /** Configs the filter must refuse in on_configure, with a log line saying why. Only enforced for a
   *  filter whose entry handles on_configure (a skeleton that reads no config accepts anything). */
  invalidConfigs(rand: Random): string[];
  /** Extra request headers that drive the filter's own paths. */
  steeringHeaders(rand: Random): Pair[];
  /** Workers (VM instances) for the traffic run. */
  workers: number;
}

/** Random JSON of any shape: the config fuzz's raw material. */
export function randomJson(rand: Random, depth = 0): unknown {
  const r = rand.float();
  if (depth > 3 || r < 0.25) return rand.pick([0, -1, 1e308, 0.5, "", "x", true, false, null, "\u0000", 2 ** 53]);
  if (r < 0.5) return Array.from({ length: rand.size(6) }, () => randomJson(rand, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = rand.size(6); i > 0; i--) out[rand.text(TOKEN_CHARS, rand.int(1, 12))] = randomJson(rand, depth + 1);
  return out;
}

/** Text that is not JSON (or not an object): every JSON-configured filter must refuse it. */
function brokenJson(rand: Random): string {
  return rand.pick(["{", "[]", "null", "42", '"text"', '{"a":}', "{'single': 1}", "\u0000", "{}}", "\ufeff{}x"]);
}

/** Sets a random leaf of `base` (a valid config) to a value of the wrong type or out of range. */
function mutate(rand: Random, base: Record<string, unknown>, fields: [string, unknown[]][]): string {
  const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const [path, bad] = rand.pick(fields);
  const keys = path.split(".");
  let node = copy;
  for (const key of keys.slice(0, -1)) {
    node[key] = typeof node[key] === "object" && node[key] !== null ? node[key] : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = rand.pick(bad);
  return JSON.stringify(copy);
}

/** An empty pluginConfig and an empty object both mean "all defaults" for Meshward's filters. */
const DEFAULTS = ["", "{}"];

const adaptiveLb: FilterProfile = {
  workers: 2,
  validConfigs: (rand) => [
    ...DEFAULTS,
    JSON.stringify({
      endpoints: ["127.0.0.1:8081", "127.0.0.1:8082", "[::1]:8083"],
      maxHostsInHeader: rand.int(1, 8),
      ewma: { decayMs: rand.int(1, 60_000) },
      outlier: { consecutiveFailures: rand.int(0, 10), maxEjectionPercent: rand.int(0, 100) },
      trend: { debugHeader: "x-meshward-trend" },
    }),
  ],
  invalidConfigs: (rand) => [
    brokenJson(rand),
    JSON.stringify({ [`unknown_${rand.u32()}`]: 1 }),
    mutate(rand, { endpoints: ["127.0.0.1:8081"] }, [
      ["maxHostsInHeader", [0, 9, "3", -1, 1.5]],
      ["endpoints", ["127.0.0.1:8081", [1], ["not-an-address"], ["127.0.0.1:99999"]]],
      ["outlier.maxEjectionPercent", [150, -1, "50"]],
      ["ewma.decayMs", [0, 3_600_001, "5000"]], // JSON null means "absent" (default), not invalid
      ["slowStart.aggression", [0, 11]],
      ["trend.slowDecayMs", [5]],
    ]),
  ],
  steeringHeaders: (rand) =>
    rand.chance(0.5) ? [["x-gateway-destination-endpoint", rand.pick(["127.0.0.1:1", "evil:80", ""])]] : [],
};

const trafficShaper: FilterProfile = {
  workers: 2,
  validConfigs: (rand) => [
    ...DEFAULTS,
    JSON.stringify({
      rules: [
        { name: "per-subject", descriptor: "subject", limit: { rate: rand.int(1, 50), burst: rand.int(1, 100) } },
        { name: "global", limit: { rate: 1000, unit: "minute" }, shadow: rand.chance(0.5) },
      ],
      concurrency: { enabled: rand.chance(0.5) },
      // Small key table: random subjects fill it during the warm-up, so growth after it is a leak
      // (with the default 10 000 keys the table is still legitimately growing at 50 000 requests).
      descriptors: { maxKeys: 64 },
      priorities: [
        { name: "high", share: 1, match: { riskLevels: ["low"] } },
        { name: "low", share: 0.5 },
      ],
    }),
  ],
  invalidConfigs: (rand) => [
    brokenJson(rand),
    JSON.stringify({ [`unknown_${rand.u32()}`]: 1 }),
    mutate(rand, { rules: [{ name: "r", limit: { rate: 1 } }] }, [
      ["rules", ["x", [{ name: "BAD NAME", limit: { rate: 1 } }], [{ limit: { rate: 1 } }]]],
      ["limitedStatus", [200, 600, "429"]],
      ["failureMode", ["maybe", 1]],
      ["casRetries", [0, 101]],
      ["descriptors.maxKeys", [0, -5]],
    ]),
  ],
  steeringHeaders: (rand) => [
    ["x-meshward-subject", rand.pick(["alice", "bob", rand.text(TOKEN_CHARS, rand.int(0, 40))])],
    ["x-meshward-risk-score", rand.pick(["0", "50", "100", "-1", "abc", "1e9"])],
    ["x-meshward-risk-level", rand.pick(["low", "medium", "high", "critical", "", "x"])],
  ],
};

const conformance: FilterProfile = {
  workers: 2,
  validConfigs: () => ["", "tick_ms=100", "{}"],
  invalidConfigs: () => ["reject", "please reject"],
  // The ops that complete a request; "trap" and "stop" deliberately break it (tested elsewhere).
  steeringHeaders: (rand) => [
    ["x-conf-op", rand.pick(["echo", "echo", "echo", "local"])],
    ["x-conf-in", rand.pick(["hello", "", "x".repeat(rand.size(120))])],
    ["x-conf-multi", "a"],
    ["x-conf-multi", "b"],
  ],
};

const passive: FilterProfile = {
  workers: 2,
  validConfigs: () => [""],
  invalidConfigs: () => [],
  steeringHeaders: () => [],
};

const PROFILES: Record<string, FilterProfile> = {
  "adaptive-lb": adaptiveLb,
  "traffic-shaper": trafficShaper,
  conformance,
  "bench-empty": passive,
  "bench-headers": passive,
};

export function profileFor(filter: string): FilterProfile {
  return PROFILES[filter] ?? passive;
}
