// Debian version ordering must match dpkg's (deb-version(7)): the bootstrap uses it to pick the
// newest acceptable .deb when a pin has left the mirror.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  compareDebianVersions,
  compareDotted,
  parseDebianVersion,
  upstreamOf,
} from "../../scripts/bootstrap/debian/version.ts";

const sign = (n: number) => Math.sign(n);

describe("Debian versions", () => {
  it("splits epoch, upstream and revision", () => {
    expect(parseDebianVersion("5:7.0.15-1~deb12u10")).toEqual({ epoch: 5, upstream: "7.0.15", revision: "1~deb12u10" });
    expect(parseDebianVersion("1.2.3")).toEqual({ epoch: 0, upstream: "1.2.3", revision: "" });
    expect(parseDebianVersion("2:1.0-rc1-2")).toEqual({ epoch: 2, upstream: "1.0-rc1", revision: "2" });
    expect(upstreamOf("2.42.0+ds-5+deb12u1")).toBe("2.42.0");
    expect(upstreamOf("156.0.8078.114-1~deb12u1")).toBe("156.0.8078.114");
  });

  const cases: [string, string, number][] = [
    ["5:7.0.15-1~deb12u10", "5:7.0.15-1~deb12u7", 1], // 10 > 7 as numbers, not strings
    ["5:7.0.15-1~deb12u10", "5:7.0.15-1", -1], // '~' sorts before the end
    ["1.0~rc1", "1.0", -1],
    ["1:0.1", "9.9", 1], // epoch first
    ["1.0a", "1.0", 1], // letters after the end
    ["1.0a", "1.0+", -1], // letters before other characters
    ["1.002", "1.2", 0], // leading zeros
    ["156.0.8078.114-1~deb12u1", "150.0.7871.100-1~deb12u1", 1],
    ["2.42.0+ds-5+deb12u1", "2.42.0+ds-5", 1],
  ];
  it.each(cases)("%s vs %s → %i", (a, b, expected) => {
    expect(sign(compareDebianVersions(a, b))).toBe(expected);
    expect(sign(compareDebianVersions(b, a))).toBe(0 - expected || 0);
  });

  it("agrees with dpkg --compare-versions where dpkg is present", () => {
    if (spawnSync("dpkg", ["--version"]).status !== 0) return; // the table above still holds the rules
    for (const [a, b, expected] of cases) {
      const op = expected > 0 ? "gt" : expected < 0 ? "lt" : "eq";
      expect(spawnSync("dpkg", ["--compare-versions", a, op, b]).status, `${a} ${op} ${b}`).toBe(0);
    }
  });

  it("compares dotted upstream versions numerically", () => {
    expect(sign(compareDotted("7.0.15", "7.0.0"))).toBe(1);
    expect(sign(compareDotted("6.2", "7.0.0"))).toBe(-1);
    expect(sign(compareDotted("3.16.0", "3.16"))).toBe(0);
    expect(sign(compareDotted("150.0.7871.100", "156.0.0"))).toBe(-1);
  });
});
