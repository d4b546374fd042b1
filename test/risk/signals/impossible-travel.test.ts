import { describe, expect, it } from "vitest";
import { GeoTable, greatCircleKm } from "../../../authz-server/src/risk/net/geo.ts";
import { createImpossibleTravel, TRAVEL_DEFAULTS } from "../../../authz-server/src/risk/signals/impossible-travel.ts";
import { input, run, snapshot, T0 } from "../fixtures.ts";

const PARIS = { lat: 48.8566, lon: 2.3522, country: "FR" };
const NEW_YORK = { lat: 40.7128, lon: -74.006, country: "US" };
const VERSAILLES = { lat: 48.8049, lon: 2.1204, country: "FR" };

describe("greatCircleKm", () => {
  it("matches known distances (haversine, R = 6371.0088 km)", () => {
    expect(greatCircleKm(PARIS, NEW_YORK)).toBeCloseTo(5837.2, 0);
    expect(greatCircleKm(PARIS, PARIS)).toBe(0);
    // a quarter of the equator: π/2 · R
    expect(greatCircleKm({ lat: 0, lon: 0, country: "" }, { lat: 0, lon: 90, country: "" })).toBeCloseTo(
      (Math.PI / 2) * 6371.0088,
      6,
    );
    expect(greatCircleKm({ lat: 0, lon: 0, country: "" }, { lat: 0, lon: 180, country: "" })).toBeCloseTo(
      Math.PI * 6371.0088,
      6,
    );
  });
});

describe("GeoTable", () => {
  it("locates by longest prefix, IPv4 and IPv6", () => {
    const geo = new GeoTable([
      { cidr: "192.0.2.0/24", ...PARIS },
      { cidr: "192.0.2.128/25", ...VERSAILLES },
      { cidr: "2001:db8:1::/48", ...NEW_YORK },
    ]);
    expect(geo.locate("192.0.2.1")).toEqual(PARIS);
    expect(geo.locate("192.0.2.200")).toEqual(VERSAILLES);
    expect(geo.locate("2001:db8:1::9")).toEqual(NEW_YORK);
    expect(geo.locate("198.51.100.1")).toBeNull();
    expect(geo.locate(null)).toBeNull();
  });
});

describe("impossible-travel", () => {
  const signal = createImpossibleTravel(TRAVEL_DEFAULTS);
  const hop = (from: typeof PARIS, minutesAgo: number, to: typeof PARIS | null) =>
    run(
      signal,
      input({ location: to, snapshot: snapshot({ lastLocation: { ...from, atMs: T0 - minutesAgo * 60_000 } }) }),
    );

  it("flags Paris → New York in one hour (5837 km/h)", () => {
    expect(hop(PARIS, 60, NEW_YORK)).toEqual([
      { signal: "impossible-travel", contribution: 70, detail: "FR → US: 5837 km in 3600 s (5837 km/h > 1000)" },
    ]);
  });
  it("accepts the same trip at airliner speed (7 h → 834 km/h)", () => {
    expect(hop(PARIS, 420, NEW_YORK)).toEqual([]);
  });
  it("ignores short hops below minDistanceKm, however fast", () => {
    expect(hop(PARIS, 0, VERSAILLES)).toEqual([]);
  });
  it("floors the interval at 1 s and needs both locations", () => {
    expect(hop(PARIS, 0, NEW_YORK)[0]?.detail).toContain("in 1 s");
    expect(hop(PARIS, 60, null)).toEqual([]);
    expect(run(signal, input({ location: NEW_YORK }))).toEqual([]);
  });
});
