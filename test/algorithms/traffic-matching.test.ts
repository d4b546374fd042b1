// Traffic-shaper request matching (glob, CIDR, identity/risk), descriptor keys with bounded
// cardinality, and priority classes.
import { beforeAll, describe, expect, it } from "vitest";
import type { AlgorithmsApi } from "./algorithms-api.ts";
import { loadAlgorithms } from "./wasm.ts";

let api: AlgorithmsApi;
beforeAll(async () => {
  api = await loadAlgorithms();
});

const S = 1e9;

describe("glob", () => {
  it.each([
    ["/api/*", "/api/v1/users", true],
    ["/api/*", "/api", false],
    ["/api/*", "/api/", true],
    ["*.example.com", "a.b.example.com", true],
    ["*.example.com", "example.com", false],
    ["/v?/x", "/v1/x", true],
    ["/v?/x", "/v10/x", false],
    ["*", "", true],
    ["", "", true],
    ["", "a", false],
    ["a*b*c", "aXXbYYc", true],
    ["a*b*c", "aXXbYY", false],
    ["**a", "bbba", true],
    ["spiffe://mesh/ns/*/sa/web", "spiffe://mesh/ns/prod/sa/web", true],
  ])("%j matches %j: %s", (pattern, s, expected) => {
    expect(api.globMatch(pattern, s)).toBe(expected);
  });

  it("stays linear-ish on a hostile pattern (no exponential backtracking)", () => {
    expect(api.globMatch(`${"*a".repeat(50)}b`, "a".repeat(5000))).toBe(false);
  });
});

describe("CIDR and addresses", () => {
  it.each([
    ["10.0.0.0/8", "10.200.3.4", 1],
    ["10.0.0.0/8", "11.0.0.1", 0],
    ["192.168.1.7", "192.168.1.7", 1],
    ["192.168.1.0/25", "192.168.1.128", 0],
    ["0.0.0.0/0", "8.8.8.8", 1],
    ["0.0.0.0/0", "::1", 0],
    ["fd00::/8", "fd12:3456::1", 1],
    ["fd00::/8", "fe80::1", 0],
    ["::1", "::1", 1],
    ["2001:db8::/32", "2001:db8:0:0:0:0:0:1", 1],
    ["::ffff:0:0/96", "1.2.3.4", 1],
    ["10.0.0.0/33", "10.0.0.1", -1],
    ["10.0.0/8", "10.0.0.1", -1],
    ["1::2::3/64", "::1", -1],
    ["10.0.0.0/8", "10.0.0.300", -2],
    ["::/0", "12345::1", -2],
  ])("%s contains %s → %d", (cidr, ip, expected) => {
    expect(api.cidrContains(cidr, ip)).toBe(expected);
  });

  it.each([
    ["1.2.3.4:5678", "1.2.3.4"],
    ["[::1]:80", "::1"],
    ["1.2.3.4", "1.2.3.4"],
    ["fd00::1", "fd00::1"],
  ])("strips the port of %s", (address, ip) => {
    expect(api.stripPort(address)).toBe(ip);
  });
});

const config = {
  rules: [
    { name: "writes", match: { methods: ["POST", "PUT"], path: { prefix: "/api/" } }, limit: { rate: 10 } },
    {
      name: "risky",
      match: { riskLevels: ["high", "critical"] },
      descriptor: "subject",
      limit: { rate: 1, unit: "minute", burst: 2 },
    },
    { name: "scores", match: { minRiskScore: 70 }, descriptor: "riskLevel", limit: { rate: 5 } },
    {
      name: "tenant",
      match: { authority: "*.example.com", headers: [{ name: "x-tenant", glob: "acme-*" }] },
      descriptor: "header:x-tenant",
      limit: { rate: 100 },
    },
    { name: "internal", match: { sourceCidrs: ["10.0.0.0/8", "fd00::/8"] }, descriptor: "source", limit: { rate: 50 } },
    {
      name: "spiffe",
      match: { subjects: ["spiffe://mesh/ns/*/sa/batch"], path: { exact: "/jobs" } },
      limit: { rate: 1 },
    },
    {
      name: "keyed",
      match: { headers: [{ name: "x-api-key", present: true }] },
      descriptor: "header:x-api-key",
      limit: { rate: 1 },
    },
  ],
  priorities: [
    { name: "critical", share: 1, match: { headers: [{ name: "x-priority", exact: "critical" }] } },
    { name: "normal", share: 0.8, match: { riskLevels: ["low", "medium"] } },
    { name: "risky", share: 0.5 },
  ],
};

describe("rule matching and descriptor keys", () => {
  let h: number;
  beforeAll(() => {
    h = api.shaperCreate(JSON.stringify(config));
    if (h < 0) throw new Error(api.getLastError());
  });
  const hits = () => api.shaperMatch(h, 0).split("\n").filter(Boolean);

  it("matches method + path prefix, ignoring the query string", () => {
    api.requestReset("POST", "/api/orders?x=/y", "shop.local", "");
    expect(hits()).toEqual(["writes=writes|"]);
    api.requestReset("GET", "/api/orders", "shop.local", "");
    expect(hits()).toEqual([]);
  });

  it("keys per subject for high/critical risk; anonymous requests share the empty key", () => {
    api.requestReset("GET", "/", "a", "");
    api.requestIdentity("alice", "high", 60);
    expect(hits()).toEqual(["risky=risky|alice"]);
    api.requestIdentity("", "critical", 95);
    expect(hits()).toEqual(["risky=risky|", "scores=scores|critical"]);
    api.requestIdentity("bob", "low", -1);
    expect(hits()).toEqual([]);
  });

  it("matches authority globs case-insensitively and keys by a header value", () => {
    api.requestReset("GET", "/", "Shop.Example.COM", "");
    api.requestHeader("x-tenant", "acme-eu");
    expect(hits()).toEqual(["tenant=tenant|acme-eu"]);
    api.requestReset("GET", "/", "shop.example.com", "");
    api.requestHeader("x-tenant", "globex");
    expect(hits()).toEqual([]);
  });

  it("matches source CIDRs (IPv4 and IPv6) and keys by source address", () => {
    api.requestReset("GET", "/", "a", "10.1.2.3:4567");
    expect(hits()).toEqual(["internal=internal|10.1.2.3"]);
    api.requestReset("GET", "/", "a", "[fd00::7]:80");
    expect(hits()).toEqual(["internal=internal|fd00::7"]);
    api.requestReset("GET", "/", "a", "192.0.2.1:80");
    expect(hits()).toEqual([]);
    api.requestReset("GET", "/", "a", "");
    expect(hits()).toEqual([]);
  });

  it("matches SPIFFE subjects by glob with an exact path, and header presence", () => {
    api.requestReset("GET", "/jobs", "a", "");
    api.requestIdentity("spiffe://mesh/ns/prod/sa/batch", "", -1);
    api.requestHeader("x-api-key", "k1");
    expect(hits()).toEqual(["spiffe=spiffe|", "keyed=keyed|k1"]);
  });

  it("classifies priority: first matching class, unmatched → the lowest", () => {
    api.requestReset("GET", "/", "a", "");
    api.requestHeader("x-priority", "critical");
    api.requestIdentity("", "critical", 99);
    expect(api.shaperClassify(h)).toBe(0);
    api.requestReset("GET", "/", "a", "");
    api.requestIdentity("", "medium", 30);
    expect(api.shaperClassify(h)).toBe(1);
    api.requestIdentity("", "high", 80);
    expect(api.shaperClassify(h)).toBe(2);
    api.requestReset("GET", "/", "a", "");
    expect(api.shaperClassify(h)).toBe(2);
  });
});

describe("risk-score header", () => {
  it.each([
    ["0", 0],
    ["100", 100],
    [" 42 ", 42],
    ["101", -1],
    ["-1", -1],
    ["4.5", -1],
    ["", -1],
    ["0x10", -1],
    ["1000", -1],
  ])("%j → %d (−1 = unknown)", (text, score) => {
    expect(api.riskScore(text)).toBe(score);
  });
});

describe("descriptor cardinality", () => {
  it("bounds keys: new values beyond maxKeys share the overflow bucket until idle keys are evicted", () => {
    const h = api.shaperCreate(
      JSON.stringify({
        rules: [{ name: "per-key", descriptor: "header:x-k", limit: { rate: 1 } }],
        descriptors: { maxKeys: 2, idleMs: 1000 },
      }),
    );
    const key = (value: string, now: number) => {
      api.requestReset("GET", "/", "a", "");
      api.requestHeader("x-k", value);
      return api.shaperMatch(h, now);
    };
    expect(key("a", 0)).toBe("per-key=per-key|a");
    expect(key("b", 0.5 * S)).toBe("per-key=per-key|b");
    expect(key("c", 0.9 * S)).toBe("per-key=per-key|#"); // full, nothing idle → overflow key
    expect(key("a", 0.9 * S)).toBe("per-key=per-key|a"); // known keys keep working (and refresh)
    expect(api.shaperOverflowed(h)).toBe(1);
    expect(key("c", 1.6 * S)).toBe("per-key=per-key|c"); // b idle ≥ 1 s → evicted, c gets its own
    expect(api.shaperTakeEvicted(h)).toBe("per-key|b");
    expect(api.shaperTakeEvicted(h)).toBe("");
    expect(api.shaperTableSize(h)).toBe(2);
  });

  it("a flood of new values while nothing is idle costs one scan, not one per request", () => {
    const h = api.shaperCreate(
      JSON.stringify({
        rules: [{ name: "k", descriptor: "header:x-k", limit: { rate: 1 } }],
        descriptors: { maxKeys: 100, idleMs: 1000 },
      }),
    );
    const key = (value: string, now: number) => {
      api.requestReset("GET", "/", "a", "");
      api.requestHeader("x-k", value);
      return api.shaperMatch(h, now);
    };
    for (let i = 0; i < 100; i++) key(`v${i}`, i * 1e6); // v0 at 0 ms … v99 at 99 ms
    for (let i = 0; i < 5000; i++) expect(key(`spray-${i}`, 0.5 * S)).toBe("k=k|#");
    expect(api.shaperScans(h)).toBe(1);
    expect(api.shaperTableSize(h)).toBe(100);
    // the oldest key (v0, last used at 0) can be idle from 1 s on: the next scan waits until then
    expect(key("late", 0.999 * S)).toBe("k=k|#");
    expect(api.shaperScans(h)).toBe(1);
    expect(key("late", 1.05 * S)).toBe("k=k|late"); // v0..v50 idle → evicted in one batch
    expect(api.shaperScans(h)).toBe(2);
    expect(api.shaperTakeEvicted(h).split("\n")).toHaveLength(51);
  });
});

describe("priority admission", () => {
  it.each([
    [99, 100, 1, true],
    [100, 100, 1, false],
    [79, 100, 0.8, true],
    [80, 100, 0.8, false],
    [49, 100, 0.5, true],
    [50, 100, 0.5, false],
    [0, 1, 0.1, true],
    [1, 1, 0.1, false],
    [2, 3, 0.5, false],
  ])("in flight %d under limit %d with share %d → %s", (inFlight, limit, share, admitted) => {
    expect(api.admitByPriority(inFlight, limit, share)).toBe(admitted);
  });

  it("sheds the lowest class first and the highest last as in-flight grows", () => {
    const shares = [1, 0.8, 0.5];
    const firstRefusal = shares.map((share) => {
      let inFlight = 0;
      while (api.admitByPriority(inFlight, 40, share)) inFlight++;
      return inFlight;
    });
    expect(firstRefusal).toEqual([40, 32, 20]);
  });
});
