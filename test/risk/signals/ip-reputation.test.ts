import { describe, expect, it } from "vitest";
import { createIpReputation, IP_REPUTATION_DEFAULTS } from "../../../authz-server/src/risk/signals/ip-reputation.ts";
import { context, input, run } from "../fixtures.ts";

const signal = createIpReputation({
  ...IP_REPUTATION_DEFAULTS,
  deny: ["198.51.100.0/24"],
  anonymizer: ["203.0.113.0/24", "2001:db8:7::/48"],
  suspect: ["203.0.0.0/8"],
});
const at = (ip: string | null) => run(signal, input({ ctx: context({ sourceIp: ip }) }));

describe("ip-reputation", () => {
  it("scores the most severe list only", () => {
    expect(at("198.51.100.9")).toEqual([
      { signal: "ip-reputation", contribution: 100, detail: "198.51.100.9 is in the deny list (198.51.100.0/24)" },
    ]);
    expect(at("203.0.113.5")).toEqual([
      { signal: "ip-reputation", contribution: 50, detail: "203.0.113.5 is in the anonymizer list (203.0.113.0/24)" },
    ]);
    expect(at("203.9.9.9")[0]?.contribution).toBe(30);
  });
  it("matches IPv6 and IPv4-mapped sources", () => {
    expect(at("2001:db8:7:1::5")[0]?.contribution).toBe(50);
    expect(at("::ffff:198.51.100.1")[0]?.contribution).toBe(100);
  });
  it("is silent for clean, missing or unparseable addresses", () => {
    expect(at("192.0.2.1")).toEqual([]);
    expect(at(null)).toEqual([]);
    expect(at("bogus")).toEqual([]);
  });
  it("uses the configured weights", () => {
    const s = createIpReputation({
      ...IP_REPUTATION_DEFAULTS,
      suspect: ["10.0.0.0/8"],
      weights: { deny: 100, anonymizer: 50, suspect: 12.5 },
    });
    expect(run(s, input({ ctx: context({ sourceIp: "10.0.0.1" }) }))[0]?.contribution).toBe(12.5);
  });
});
