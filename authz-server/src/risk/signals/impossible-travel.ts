// Signal 4 — impossible travel: the speed a principal would have needed to get from the location of
// its previous request to this one's.
//
// Locations come from the configured CIDR table (`travel.locations`, see net/geo.ts); the store keeps
// the last located request per principal. speed = d / Δt with d the great-circle distance in km and
// Δt = max(now − previous, 1 s) in hours. strength = 1 when speed > `maxSpeedKmh` (default 1000, a
// little above an airliner) and d ≥ `minDistanceKm` (default 300: IP geolocation is coarse; two
// nearby cities must not look like travel); contribution = `weight` (default 70) × strength.
// Edge cases: an unlocated request neither triggers nor replaces the stored location.

import type { GeoEntry } from "../net/geo.ts";
import { greatCircleKm } from "../net/geo.ts";
import { addReason, type Signal } from "./signal.ts";

export interface TravelConfig {
  weight: number;
  maxSpeedKmh: number;
  minDistanceKm: number;
  locations: GeoEntry[];
}

export const TRAVEL_DEFAULTS: TravelConfig = { weight: 70, maxSpeedKmh: 1000, minDistanceKm: 300, locations: [] };

export function createImpossibleTravel(config: TravelConfig): Signal {
  return ({ snapshot, location, nowMs }, out) => {
    const last = snapshot.lastLocation;
    if (location === null || last === null) return;
    const km = greatCircleKm(last, location);
    if (km < config.minDistanceKm) return;
    const elapsedMs = Math.max(nowMs - last.atMs, 1000);
    const kmh = km / (elapsedMs / 3_600_000);
    if (kmh <= config.maxSpeedKmh) return;
    addReason(
      out,
      "impossible-travel",
      config.weight,
      1,
      `${last.country} → ${location.country}: ${Math.round(km)} km in ${Math.round(elapsedMs / 1000)} s ` +
        `(${Math.round(kmh)} km/h > ${config.maxSpeedKmh})`,
    );
  };
}
