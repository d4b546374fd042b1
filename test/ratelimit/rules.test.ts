// The rules file: strict validation naming the field, and envoyproxy/ratelimit's matching order.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { escapePart, matchDescriptor, wildcardMatch } from "../../authz-server/src/ratelimit/rules.ts";
import { parseDomain, parseDomains } from "../../authz-server/src/ratelimit/rules-schema.ts";
import { meshDomain } from "./fixtures.ts";

const base = { domain: "d", descriptors: [{ key: "k", rate_limit: { unit: "second", requests_per_unit: 1 } }] };

function withLimit(rateLimit: Record<string, unknown>): unknown {
  return { domain: "d", descriptors: [{ key: "k", rate_limit: rateLimit }] };
}

describe("rules file validation", () => {
  it("accepts the documented example with defaults filled in", () => {
    const spec = parseDomain(base, "f.yaml");
    expect(spec).toEqual({
      domain: "d",
      failureModeDeny: false,
      fallbackShare: 1,
      descriptors: [
        {
          key: "k",
          unlimited: false,
          shadowMode: false,
          shareThreshold: false,
          descriptors: [],
          rateLimit: { unit: "second", requestsPerUnit: 1, burst: 1, replaces: [], maxValues: 10_000 },
        },
      ],
    });
    expect(meshDomain().rules.map((r) => r.name)).toEqual([
      "global",
      "per-subject",
      "batch",
      "high-risk",
      "orders-per-subject",
      "vip-orders",
      "files",
      "canary",
      "blocked",
    ]);
  });

  it.each([
    [{ ...base, extra: 1 }, "f.yaml.extra: unknown field"],
    [{ descriptors: [] }, "f.yaml.domain: must be 1..128 printable"],
    [{ domain: "a{b}", descriptors: [] }, "f.yaml.domain: must be 1..128 printable"],
    [{ domain: "d" }, "f.yaml.descriptors: is required"],
    [{ domain: "d", descriptors: {} }, "f.yaml.descriptors: must be a list"],
    [{ domain: "d", descriptors: [{ value: "v" }] }, "f.yaml.descriptors[0].key: must be a string of 1..256"],
    [
      withLimit({ unit: "week", requests_per_unit: 1 }),
      "f.yaml.descriptors[0].rate_limit.unit: must be one of second, minute, hour, day",
    ],
    [withLimit({ unit: "second" }), "f.yaml.descriptors[0].rate_limit.requests_per_unit: is required"],
    [
      withLimit({ unit: "second", requests_per_unit: 1.5 }),
      "rate_limit.requests_per_unit: must be an integer 0..100000",
    ],
    [withLimit({ unit: "second", requests_per_unit: 100_001 }), "requests_per_unit: must be an integer 0..100000"],
    [
      withLimit({ unit: "day", requests_per_unit: 1, burst: 400 }),
      "rate_limit.burst: burst / requests_per_unit must refill within 366 days",
    ],
    [withLimit({ unit: "second", requests_per_unit: 1, burst: 0 }), "rate_limit.burst: must be an integer 1.."],
    [withLimit({ unlimited: true, unit: "second" }), "rate_limit.unit: not allowed with unlimited: true"],
    [
      withLimit({ unit: "second", requests_per_unit: 1, replaces: [{ name: "nope" }] }),
      "rate_limit.replaces[0].name: no rate_limit in domain d is named nope",
    ],
    [withLimit({ unit: "second", requests_per_unit: 1, name: "has space" }), "rate_limit.name: must match"],
    [
      { domain: "d", descriptors: [{ key: "k", detailed_metric: true }] },
      "descriptors[0].detailed_metric: not supported",
    ],
    [
      { domain: "d", descriptors: [{ key: "k", value: "x", share_threshold: true }] },
      "share_threshold: needs a wildcard value",
    ],
    [{ domain: "d", descriptors: [{ key: "k" }, { key: "k" }] }, "f.yaml.descriptors[1]: duplicate descriptor key k"],
    [{ domain: "d", fallback_share: 0, descriptors: [] }, "f.yaml.fallback_share: must be a number in (0, 1]"],
    [{ domain: "d", failure_mode_deny: "yes", descriptors: [] }, "f.yaml.failure_mode_deny: must be true or false"],
  ])("refuses %j", (raw, message) => {
    expect(() => parseDomain(raw, "f.yaml")).toThrow(message);
  });

  it("refuses nesting deeper than 8 levels and a domain defined twice", () => {
    let deep: Record<string, unknown> = { key: "k9" };
    for (let i = 8; i >= 1; i--) deep = { key: `k${i}`, descriptors: [deep] };
    expect(() => parseDomain({ domain: "d", descriptors: [deep] }, "f")).toThrow("descriptors nest at most 8 levels");
    const doc = { raw: base, path: "a.yaml" };
    expect(() => parseDomains([doc, { raw: base, path: "b.yaml" }])).toThrow(
      "b.yaml.domain: domain d is defined twice",
    );
  });
});

describe("descriptor matching", () => {
  const mesh = meshDomain();
  const match = (...entries: [string, string][]) =>
    matchDescriptor(
      mesh,
      entries.map(([key, value]) => ({ key, value })),
    );
  const ruleOf = (...entries: [string, string][]) => {
    const m = match(...entries);
    return m.kind === "limited" ? `${m.rule.name} ${m.bucket}` : m.kind;
  };

  it("prefers key+value over wildcards over the key alone, one level per entry", () => {
    expect(ruleOf(["generic_key", "global"])).toBe("global generic_key=global");
    expect(ruleOf(["subject", "alice"])).toBe("per-subject subject=alice");
    expect(ruleOf(["subject", "svc-batch"])).toBe("batch subject=svc-batch");
    expect(ruleOf(["subject", "admin"])).toBe("unlimited");
    expect(ruleOf(["route", "orders-write"], ["subject", "vip"])).toBe("vip-orders route=orders-write|subject=vip");
    // No backtracking (as envoyproxy/ratelimit): the exact route node wins at level 1 and has no
    // rule for bob, so the wildcard sibling is not tried.
    expect(ruleOf(["route", "orders-write"], ["subject", "bob"])).toBe("none");
    expect(ruleOf(["route", "orders-read"], ["subject", "bob"])).toBe(
      "orders-per-subject route=orders-read|subject=bob",
    );
    // A limit applies only at the descriptor's last level; unknown keys and values match nothing.
    expect(ruleOf(["risk_level", "high"])).toBe("none");
    expect(ruleOf(["risk_level", "low"], ["subject", "bob"])).toBe("none");
    expect(ruleOf(["generic_key", "global"], ["subject", "bob"])).toBe("none");
    expect(ruleOf(["nope", "x"])).toBe("none");
  });

  it("shares one bucket across wildcard values only with share_threshold", () => {
    expect(ruleOf(["file", "files/a.pdf"])).toBe("files file~files/*");
    expect(ruleOf(["file", "files/b.csv"])).toBe("files file~files/*");
    expect(ruleOf(["file", "other/b.csv"])).toBe("none");
  });

  it("marks rules whose bucket comes from request values", () => {
    const perValue = Object.fromEntries(mesh.rules.map((r) => [r.name, r.perValue]));
    expect(perValue).toMatchObject({
      global: false,
      "per-subject": true,
      batch: false,
      "high-risk": true,
      "orders-per-subject": true,
      "vip-orders": false, // exact values at both levels
      files: false,
    });
  });

  it("escapes separators so that no value forges another bucket", () => {
    const a = match(["route", "orders-x|subject=vip"], ["subject", "y"]);
    const b = match(["route", "orders-x"], ["subject", "vip|subject=y"]);
    expect(a.kind === "limited" && b.kind === "limited" && a.bucket !== b.bucket).toBe(true);
    expect(escapePart("a|b=c~d%e")).toBe("a%7Cb%3Dc%7Ed%25e");
  });

  it("wildcards: * anywhere, any run including empty", () => {
    const w = (pattern: string, value: string) => wildcardMatch(pattern.split("*"), value);
    expect([w("a*", "a"), w("a*", "abc"), w("*c", "abc"), w("a*c", "ac"), w("a*c", "abd")]).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    expect([w("/api/*/x/*/y", "/api/1/x/2/y"), w("/api/*/x/*/y", "/api/1/y"), w("ab*ba", "aba")]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it("compiles the rules of a parsed YAML file unchanged", () => {
    const spec = parseDomain(parse("domain: y\ndescriptors:\n  - key: a\n    value: b\n"), "y.yaml");
    expect(spec.descriptors[0]).toMatchObject({ key: "a", value: "b" });
  });
});
