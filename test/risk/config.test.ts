import { describe, expect, it } from "vitest";
import { ConfigError } from "../../authz-server/src/errors.ts";
import { parseRiskConfig, RISK_DEFAULTS } from "../../authz-server/src/risk/config.ts";

function fieldOf(raw: unknown): string {
  try {
    parseRiskConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError && err.field !== undefined) return err.field;
    throw err;
  }
  return "(accepted)";
}

describe("risk config", () => {
  it("defaults to the documented values and round-trips", () => {
    expect(parseRiskConfig()).toEqual(RISK_DEFAULTS);
    const custom = parseRiskConfig({
      levels: { medium: 20 },
      travel: { locations: [{ cidr: "10.0.0.0/8", lat: 1, lon: 2, country: "XX" }] },
    });
    expect(custom.levels).toEqual({ medium: 20, high: 60, critical: 85 });
    expect(parseRiskConfig(JSON.parse(JSON.stringify(custom)))).toEqual(custom);
  });

  it.each([
    [{ bogus: 1 }, "bogus"],
    [{ failedAuth: { wieght: 3 } }, "failedAuth.wieght"],
    [{ failedAuth: { weight: "60" } }, "failedAuth.weight"],
    [{ failedAuth: { weight: 101 } }, "failedAuth.weight"],
    [{ ipReputation: { weights: { deny: -1 } } }, "ipReputation.weights.deny"],
    [{ ipReputation: { suspect: ["10.0.0.0/8", "10.0.0.0/40"] } }, "ipReputation.suspect[1]"],
    [{ travel: { locations: [{ cidr: "10.0.0.0/8", lat: 91, lon: 0, country: "X" }] } }, "travel.locations[0].lat"],
    [
      { travel: { locations: [{ cidr: "10.0.0.0/8", lat: 0, lon: 0, country: "X", city: "y" }] } },
      "travel.locations[0].city",
    ],
    [{ sensitivity: { routes: [{ prefix: "admin", level: "high" }] } }, "sensitivity.routes[0].prefix"],
    [{ sensitivity: { routes: [{ prefix: "/a", level: "extreme" }] } }, "sensitivity.routes[0].level"],
    [{ requestRate: { alpha: 0 } }, "requestRate.alpha"],
    [{ requestRate: { historyBuckets: 2.5 } }, "requestRate.historyBuckets"],
    [{ requestRate: { zStart: 10, zFull: 5 } }, "requestRate.zFull"],
    [{ requestRate: { minHistoryBuckets: 100 } }, "requestRate.minHistoryBuckets"],
    [{ levels: { medium: 70 } }, "levels.high"],
    [{ levels: { critical: 101 } }, "levels.critical"],
    [{ failedAuth: { principalAllowance: 10 } }, "failedAuth.principalSaturation"],
    [{ token: { freshAgeMs: 100_000_000 } }, "token.maxAgeMs"],
    [{ timeOfDay: { utcOffsetMinutes: 900 } }, "timeOfDay.utcOffsetMinutes"],
    [{ device: { headers: [] } }, "device.headers"],
    [{ device: { headers: ["user-agent", "X-Device-Id"] } }, "device.headers[1]"],
    [{ devicePosture: { certHeader: "" } }, "devicePosture.certHeader"],
    [{ devicePosture: { minFirmware: "new" } }, "devicePosture.minFirmware"],
    [{ devicePosture: { trustedCaPem: "nope" } }, "devicePosture.trustedCaPem"],
    [{ failedAuth: { countDenials: "yes" } }, "failedAuth.countDenials"],
    [[], "(root)"],
  ])("rejects %j naming %s", (raw, field) => {
    expect(fieldOf(raw)).toBe(field);
  });

  it("accepts fractional speeds and an IPv6 location", () => {
    expect(
      fieldOf({
        travel: { maxSpeedKmh: 950.5, locations: [{ cidr: "2001:db8::/32", lat: 0, lon: 0, country: "ZZ" }] },
      }),
    ).toBe("(accepted)");
  });
});
