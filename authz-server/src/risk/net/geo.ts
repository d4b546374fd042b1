// Locations of source addresses from a configured CIDR → (lat, lon, country) table — no external
// service — and great-circle distances between them.
import type { GeoPoint } from "../store/types.ts";
import { CidrTable, type Words } from "./cidr.ts";

export interface GeoEntry extends GeoPoint {
  cidr: string;
}

/** Mean Earth radius (IUGG), km. */
const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/**
 * Haversine distance in km between two points given in degrees. Accurate to ~0.5 % (the Earth is
 * not a sphere), far below IP-geolocation error. Antipodal points give π·R ≈ 20015 km.
 */
export function greatCircleKm(a: GeoPoint, b: GeoPoint): number {
  if (a.lat === b.lat && a.lon === b.lon) return 0;
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Longest-prefix lookup of a source address's location. */
export class GeoTable {
  private readonly table = new CidrTable<GeoPoint>();

  constructor(entries: readonly GeoEntry[]) {
    for (const e of entries) this.table.add(e.cidr, { lat: e.lat, lon: e.lon, country: e.country });
  }

  locate(ip: string | Words | null | undefined): GeoPoint | null {
    if (!ip || this.table.size === 0) return null;
    return this.table.lookup(ip) ?? null;
  }
}
