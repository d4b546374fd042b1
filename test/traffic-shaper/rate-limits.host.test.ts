// The traffic shaper's rate limits in the Node proxy-wasm host, with several worker VMs sharing
// proxy shared data the way Envoy's workers do (CAS quirks included).
import { describe, expect, it } from "vitest";
import { ConfigRejected, type ProxyWasmHost, proxyWasmHost } from "../host/index.ts";
import { bucketKey, header, ok, SHAPER_WASM, startShaper, stat, VM_ID } from "./shaper-host.ts";

const globalRule = (rate: number, burst: number, extra: Record<string, unknown> = {}) => ({
  rules: [{ name: "api", limit: { rate, burst }, ...extra }],
});

/** Sends `n` requests round-robin over the workers; returns how many got a 200. */
function admitted(host: ProxyWasmHost, n: number, headers: [string, string][] = []): number {
  let passed = 0;
  for (let i = 0; i < n; i++) {
    const res = host.exchange({ path: "/api/x", headers, worker: i % host.workers.length }, ok);
    if (res.status === 200) passed++;
  }
  return passed;
}

/**
 * Makes bucket writes race: the first write of each armed request is preceded by a whole request
 * on ANOTHER worker (the window between get and set that real threads hit), so the first write
 * fails its CAS and the filter must re-read and retry.
 */
function raceBucketWrites(host: ProxyWasmHost) {
  const shared = host.sharedData;
  const original = shared.set.bind(shared);
  const race = { armed: false, worker: 0, races: 0, nestedPassed: 0 };
  shared.set = (vmId, key, value, cas) => {
    if (race.armed && key === bucketKey("api")) {
      race.armed = false;
      race.races++;
      const res = host.exchange({ path: "/api/x", worker: (race.worker + 1) % host.workers.length }, ok);
      if (res.status === 200) race.nestedPassed++;
    }
    return original(vmId, key, value, cas);
  };
  return race;
}

describe("shared token bucket across workers", () => {
  it("admits exactly burst, then exactly rate × elapsed, over 4 workers", () => {
    const host = startShaper(globalRule(10, 5), 4);
    expect(admitted(host, 100)).toBe(5);
    host.advance(400);
    expect(admitted(host, 100)).toBe(4);
    host.advance(250);
    expect(admitted(host, 100)).toBe(2); // 2.5 tokens: two whole ones
    host.advance(250);
    expect(admitted(host, 100)).toBe(3); // 0.5 left + 2.5
    host.advance(10_000);
    expect(admitted(host, 100)).toBe(5); // refill stops at burst
    expect(stat(host, "rule.api.allowed")).toBe(19);
    expect(stat(host, "rule.api.limited")).toBe(481);
  });

  it("stays exact when another worker's request lands between get and set (CAS retries)", () => {
    const host = startShaper(globalRule(10, 5), 2);
    const race = raceBucketWrites(host);
    let passed = 0;
    for (let step = 0; step < 20; step++) {
      for (let i = 0; i < 10; i++) {
        Object.assign(race, { armed: true, worker: i % 2 });
        if (host.exchange({ path: "/api/x", worker: i % 2 }, ok).status === 200) passed++;
      }
      host.advance(100); // +1 token
    }
    expect(race.races).toBe(200);
    // Outer plus nested requests over 1.9 s: exactly burst + rate × 1.9 s.
    expect(passed + race.nestedPassed).toBe(5 + 19);
    expect(race.nestedPassed).toBeGreaterThan(0);
    expect(stat(host, "rule.api.allowed")).toBe(24);
    expect(stat(host, "shared_data_failures")).toBe(0);
  });

  it("keeps one bucket per descriptor value (per subject)", () => {
    const host = startShaper({ rules: [{ name: "per-subject", descriptor: "subject", limit: { rate: 1, burst: 2 } }] });
    expect(admitted(host, 10, [["x-meshward-subject", "alice"]])).toBe(2);
    expect(admitted(host, 10, [["x-meshward-subject", "bob"]])).toBe(2);
    expect(admitted(host, 10)).toBe(2); // no subject: the shared empty value
  });

  it("bounds descriptor keys: overflow shares one bucket, idle keys are evicted and cleared only when full", () => {
    const host = startShaper(
      {
        rules: [{ name: "api", descriptor: "subject", limit: { rate: 1, burst: 2 } }],
        descriptors: { maxKeys: 2, idleMs: 1000 },
      },
      1,
    );
    const send = (subject: string) =>
      host.exchange({ path: "/", headers: [["x-meshward-subject", subject]] }, ok).status;
    const stored = (subject: string) => host.sharedData.get(VM_ID, bucketKey("api", subject))?.value.length;
    expect([send("a"), send("b"), send("b"), send("b")]).toEqual([200, 200, 200, 429]);
    // Table full: new values share the overflow bucket (burst 2 in total, not 2 each).
    expect([send("c"), send("d"), send("e")]).toEqual([200, 200, 429]);
    expect(stored("c")).toBeUndefined();
    host.advance(1500); // a and b idle; a is full again (1 token/s), b is not (took 2, 1.5 refilled)
    expect(send("f")).toBe(200); // room made by evicting a and b
    expect(stored("a")).toBe(0); // cleared: reads as a full bucket, nothing handed out
    expect(stored("b")).toBe(16); // kept: clearing would refund tokens
    expect(stored("f")).toBe(16);
  });

  it("applies a rule only to the requests it matches (method, path, risk level)", () => {
    const host = startShaper({
      rules: [
        {
          name: "risky-posts",
          match: { methods: ["POST"], path: { prefix: "/api/" }, riskLevels: ["high"] },
          limit: { rate: 1, burst: 1 },
        },
      ],
    });
    const send = (method: string, level: string) =>
      host.exchange({ method, path: "/api/x", headers: [["x-meshward-risk-level", level]] }, ok).status;
    expect([send("POST", "high"), send("POST", "high")]).toEqual([200, 429]);
    expect([send("GET", "high"), send("POST", "low"), send("GET", "high")]).toEqual([200, 200, 200]);
  });
});

describe("429 reply", () => {
  it("carries Retry-After, RateLimit-Policy and RateLimit of the limiting rule", () => {
    const host = startShaper(globalRule(2, 2));
    expect(admitted(host, 2)).toBe(2);
    const res = host.exchange({ path: "/api/x" }, ok);
    expect(res.status).toBe(429);
    expect(res.upstream).toBeUndefined();
    expect(header(res.headers, "retry-after")).toBe("1"); // 0.5 s to the next token, rounded up
    expect(header(res.headers, "ratelimit-policy")).toBe('"api";q=2;w=1');
    expect(header(res.headers, "ratelimit")).toBe('"api";r=0;t=1');
    expect(res.localReply?.details).toBe("meshward_rate_limited");
  });

  it("advertises per-minute rules with w=60 and the refill time of the burst", () => {
    const host = startShaper({
      rules: [{ name: "slow", limit: { rate: 30, unit: "minute", burst: 3 } }],
      limitedStatus: 503,
    });
    expect(admitted(host, 3)).toBe(3);
    const res = host.exchange({ path: "/" }, ok);
    expect(res.status).toBe(503);
    expect(header(res.headers, "retry-after")).toBe("2"); // one token per 2 s
    expect(header(res.headers, "ratelimit-policy")).toBe('"slow";q=30;w=60');
    expect(header(res.headers, "ratelimit")).toBe('"slow";r=0;t=6');
  });

  it("adds RateLimit headers to allowed responses with rateLimitHeaders all, none with off", () => {
    const all = startShaper({ ...globalRule(10, 3), rateLimitHeaders: "all" });
    const res = all.exchange({ path: "/" }, ok);
    expect(res.status).toBe(200);
    expect(header(res.headers, "ratelimit")).toBe('"api";r=2;t=1');
    const off = startShaper({ ...globalRule(1, 1), rateLimitHeaders: "off" });
    off.exchange({ path: "/" }, ok);
    const limited = off.exchange({ path: "/" }, ok);
    expect(limited.status).toBe(429);
    expect(header(limited.headers, "retry-after")).toBe("1");
    expect(header(limited.headers, "ratelimit")).toBeUndefined();
  });
});

describe("shadow mode", () => {
  it("counts what it would limit but lets everything through", () => {
    const host = startShaper(globalRule(1, 2, { shadow: true }));
    expect(admitted(host, 10)).toBe(10);
    expect(stat(host, "rule.api.allowed")).toBe(2);
    expect(stat(host, "rule.api.shadow_limited")).toBe(8);
    expect(stat(host, "rule.api.limited")).toBe(0);
  });

  it("does not stop an enforced rule after it", () => {
    const host = startShaper({
      rules: [
        { name: "dry", shadow: true, limit: { rate: 1, burst: 1 } },
        { name: "real", limit: { rate: 1, burst: 3 } },
      ],
    });
    expect(admitted(host, 10)).toBe(3);
    expect(stat(host, "rule.dry.shadow_limited")).toBe(9);
    expect(stat(host, "rule.real.limited")).toBe(7);
  });
});

describe("failure mode when shared data fails", () => {
  const corrupt = (host: ProxyWasmHost) => host.sharedData.set(VM_ID, bucketKey("api"), new Uint8Array([1, 2, 3]), 0);

  it("deny (default): 429 with Retry-After 1 and no RateLimit state; counted", () => {
    const host = startShaper(globalRule(100, 100));
    corrupt(host);
    const res = host.exchange({ path: "/" }, ok);
    expect(res.status).toBe(429);
    expect(header(res.headers, "retry-after")).toBe("1");
    expect(header(res.headers, "ratelimit")).toBeUndefined();
    expect(stat(host, "shared_data_failures")).toBe(1);
    expect(
      host.logs.some((l) => /rule api: shared data failed \(bucket: expected 16 bytes, got 3\)/.test(l.message)),
    ).toBe(true);
  });

  it("allow admits; local falls back to per-worker buckets (≤ workers × burst)", () => {
    const allow = startShaper({ ...globalRule(1, 1), failureMode: "allow" });
    corrupt(allow);
    expect(admitted(allow, 10)).toBe(10);
    const local = startShaper({ ...globalRule(1, 2), failureMode: "local" }, 3);
    corrupt(local);
    expect(admitted(local, 30)).toBe(6);
  });
});

describe("configuration", () => {
  it.each([
    [
      { rules: [{ name: "a", limit: { rate: 1, unit: "day" } }] },
      'rules[0].limit.unit: must be one of second|minute|hour, got "day"',
    ],
    [{ rules: [{ name: "a" }] }, "rules[0].limit: required"],
    [{ rules: [{ name: "a", limit: { rate: 1 }, extra: 1 }] }, "rules[0].extra"],
    [{ failureMode: "maybe" }, "failureMode"],
    [{ concurrency: { enabled: true, minLimit: 10, maxLimit: 5 } }, "concurrency.maxLimit"],
    ["{not json", "invalid JSON"],
  ])("rejects %j in on_configure and logs the field", (config, field) => {
    const witness = startShaper({}, 1);
    const builder = () => startShaperSharing(witness, typeof config === "string" ? config : JSON.stringify(config));
    expect(builder).toThrow(ConfigRejected);
    const line = witness.logs.find((l) => l.message.startsWith("traffic-shaper: invalid pluginConfig:"));
    expect(line?.message).toContain(field);
  });

  it("accepts an empty config (no rules: every request passes)", () => {
    expect(admitted(startShaper("", 1), 5)).toBe(5);
  });

  it("makes no host call on a request when there is nothing to decide (no rules, concurrency off)", () => {
    const host = startShaper("{}", 1);
    host.recorder.reset();
    expect(admitted(host, 5)).toBe(5);
    expect(host.recorder.total).toBe(0);
  });
});

function startShaperSharing(witness: ProxyWasmHost, config: string): ProxyWasmHost {
  return proxyWasmHost(SHAPER_WASM).withPlugin(VM_ID).withConfig(config).withSharedStateOf(witness).start();
}
