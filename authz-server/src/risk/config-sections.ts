// One reader per section of the risk engine's config (config/reader.ts: typed getters that name the
// field, unknown keys refused): the ranges, list elements (CIDR blocks, locations, route rules) and
// header names each signal accepts. Relations between fields are in config-relations.ts.
import { X509Certificate } from "node:crypto";
import { type ListItem, Reader } from "../config/reader.ts";
import { LEVEL_DEFAULTS, type LevelThresholds } from "./combine.ts";
import { parseCidr } from "./net/cidr.ts";
import { DEVICE_POSTURE_DEFAULTS, type DevicePostureConfig, parseVersion } from "./signals/device-posture.ts";
import { SENSITIVITY_DEFAULTS, type SensitivityConfig, sensitivityValue } from "./signals/endpoint-sensitivity.ts";
import { FAILED_AUTH_DEFAULTS, type FailedAuthConfig } from "./signals/failed-auth-velocity.ts";
import { TRAVEL_DEFAULTS, type TravelConfig } from "./signals/impossible-travel.ts";
import { IP_REPUTATION_DEFAULTS, type IpReputationConfig } from "./signals/ip-reputation.ts";
import { DEVICE_DEFAULTS, type DeviceConfig } from "./signals/new-device.ts";
import { REQUEST_RATE_DEFAULTS, type RequestRateConfig } from "./signals/request-rate.ts";
import { TIME_OF_DAY_DEFAULTS, type TimeOfDayConfig } from "./signals/time-of-day.ts";
import { TOKEN_DEFAULTS, type TokenConfig } from "./signals/token-assurance.ts";

export interface StateConfig {
  /** Idle time after which a principal's profile is forgotten, ms (default 30 days). */
  profileTtlMs: number;
  /** How long a security event's effect lasts, ms (default 24 h: longer than any token we accept). */
  eventTtlMs: number;
  /** Failure timestamps kept per principal or IP. */
  maxFailuresPerKey: number;
  /** In-memory store: principals, IPs and event targets kept at most (least recently used evicted). */
  maxEntries: number;
}

export const STATE_DEFAULTS: StateConfig = {
  profileTtlMs: 30 * 86_400_000,
  eventTtlMs: 86_400_000,
  maxFailuresPerKey: 1000,
  maxEntries: 100_000,
};

const MAX_INT = Number.MAX_SAFE_INTEGER;

/** A signal's weight or a weight in a map: points 0..100 it may add. */
const weight = (r: Reader, key: string, fallback: number) => r.number(key, fallback, 0, 100);
/** A duration, whole ms; at least 1 unless stated. */
const ms = (r: Reader, key: string, fallback: number, min = 1) => r.int(key, fallback, min);

function cidrList(r: Reader, key: string): string[] {
  return r.list(key, [], (item) => {
    const cidr = item.nonEmpty();
    const parsed = parseCidr(cidr);
    if (typeof parsed === "string") throw item.fail(parsed);
    return cidr;
  });
}

export function levels(r: Reader): LevelThresholds {
  const d = LEVEL_DEFAULTS;
  return {
    medium: r.int("medium", d.medium, 1, 100),
    high: r.int("high", d.high, 1, 100),
    critical: r.int("critical", d.critical, 1, 100),
  };
}

export function ipReputation(r: Reader): IpReputationConfig {
  const w = r.section("weights").only(["deny", "anonymizer", "suspect"]);
  const d = IP_REPUTATION_DEFAULTS.weights;
  return {
    deny: cidrList(r, "deny"),
    anonymizer: cidrList(r, "anonymizer"),
    suspect: cidrList(r, "suspect"),
    weights: {
      deny: weight(w, "deny", d.deny),
      anonymizer: weight(w, "anonymizer", d.anonymizer),
      suspect: weight(w, "suspect", d.suspect),
    },
  };
}

export function failedAuth(r: Reader): FailedAuthConfig {
  const d = FAILED_AUTH_DEFAULTS;
  return {
    weight: weight(r, "weight", d.weight),
    principalWindowMs: ms(r, "principalWindowMs", d.principalWindowMs),
    ipWindowMs: ms(r, "ipWindowMs", d.ipWindowMs),
    principalAllowance: r.number("principalAllowance", d.principalAllowance, 0),
    principalSaturation: r.number("principalSaturation", d.principalSaturation, 0),
    ipAllowance: r.number("ipAllowance", d.ipAllowance, 0),
    ipSaturation: r.number("ipSaturation", d.ipSaturation, 0),
    countDenials: r.bool("countDenials", d.countDenials),
  };
}

export function requestRate(r: Reader): RequestRateConfig {
  const d = REQUEST_RATE_DEFAULTS;
  return {
    weight: weight(r, "weight", d.weight),
    bucketMs: ms(r, "bucketMs", d.bucketMs),
    historyBuckets: r.int("historyBuckets", d.historyBuckets, 1),
    alpha: r.number("alpha", d.alpha, Number.MIN_VALUE, 1),
    minHistoryBuckets: r.int("minHistoryBuckets", d.minHistoryBuckets, 0),
    minCount: r.int("minCount", d.minCount, 0),
    minStd: r.number("minStd", d.minStd, 0),
    zStart: r.number("zStart", d.zStart, 0),
    zFull: r.number("zFull", d.zFull, 0),
  };
}

export function travel(r: Reader): TravelConfig {
  const d = TRAVEL_DEFAULTS;
  return {
    weight: weight(r, "weight", d.weight),
    maxSpeedKmh: r.number("maxSpeedKmh", d.maxSpeedKmh, 0),
    minDistanceKm: r.number("minDistanceKm", d.minDistanceKm, 0),
    locations: r.list("locations", [], (item) => {
      const o = item.object(["cidr", "lat", "lon", "country"]);
      const cidr = o.nonEmpty("cidr");
      const parsed = parseCidr(cidr);
      if (typeof parsed === "string") throw o.fail("cidr", parsed);
      return {
        cidr,
        lat: o.number("lat", undefined, -90, 90),
        lon: o.number("lon", undefined, -180, 180),
        country: o.nonEmpty("country"),
      };
    }),
  };
}

export function device(r: Reader): DeviceConfig {
  const d = DEVICE_DEFAULTS;
  const headers = r.list("headers", d.headers, (item) => headerName(item, item.nonEmpty()));
  if (headers.length === 0) throw r.fail("headers", "must name at least one header");
  return {
    weight: weight(r, "weight", d.weight),
    headers,
    firstSeenStrength: r.fraction("firstSeenStrength", d.firstSeenStrength),
    maxPerPrincipal: r.int("maxPerPrincipal", d.maxPerPrincipal, 1),
  };
}

export function token(r: Reader): TokenConfig {
  const d = TOKEN_DEFAULTS;
  return {
    ageWeight: weight(r, "ageWeight", d.ageWeight),
    freshAgeMs: ms(r, "freshAgeMs", d.freshAgeMs),
    maxAgeMs: ms(r, "maxAgeMs", d.maxAgeMs),
    clockSkewMs: ms(r, "clockSkewMs", d.clockSkewMs, 0),
    missingIatStrength: r.fraction("missingIatStrength", d.missingIatStrength),
    assuranceWeight: weight(r, "assuranceWeight", d.assuranceWeight),
    strongAcr: r.list("strongAcr", d.strongAcr, (item) => item.nonEmpty()),
    strongAmr: r.list("strongAmr", d.strongAmr, (item) => item.nonEmpty()),
    unauthenticatedWeight: weight(r, "unauthenticatedWeight", d.unauthenticatedWeight),
  };
}

export function timeOfDay(r: Reader): TimeOfDayConfig {
  const d = TIME_OF_DAY_DEFAULTS;
  return {
    weight: weight(r, "weight", d.weight),
    utcOffsetMinutes: r.int("utcOffsetMinutes", d.utcOffsetMinutes, -840, 840),
    minSamples: r.int("minSamples", d.minSamples, 0),
    minShare: r.fraction("minShare", d.minShare),
  };
}

export function sensitivity(r: Reader): SensitivityConfig {
  const d = SENSITIVITY_DEFAULTS;
  return {
    weight: weight(r, "weight", d.weight),
    contextKey: r.string("contextKey", d.contextKey),
    routes: r.list("routes", [], (item) => {
      const o = item.object(["prefix", "methods", "level"]);
      const prefix = o.nonEmpty("prefix");
      if (!prefix.startsWith("/")) throw o.fail("prefix", `must start with "/", got ${JSON.stringify(prefix)}`);
      const level = o.nonEmpty("level");
      if (sensitivityValue(level) === null)
        throw o.fail("level", `expected low|medium|high|critical or 0..1, got ${JSON.stringify(level)}`);
      if (!o.has("methods")) return { prefix, level };
      return { prefix, level, methods: o.list("methods", [], (m) => m.nonEmpty()) };
    }),
  };
}

export function devicePosture(r: Reader): DevicePostureConfig {
  const d = DEVICE_POSTURE_DEFAULTS;
  const minFirmware = r.string("minFirmware", d.minFirmware);
  if (parseVersion(minFirmware) === null)
    throw r.fail("minFirmware", `not a dotted version: ${JSON.stringify(minFirmware)}`);
  const trustedCaPem = r.string("trustedCaPem", d.trustedCaPem);
  if (trustedCaPem !== "") {
    try {
      new X509Certificate(trustedCaPem);
    } catch (err) {
      throw r.fail("trustedCaPem", `not a PEM certificate: ${(err as Error).message}`);
    }
  }
  return {
    firmwareHeader: headerName(r, r.string("firmwareHeader", d.firmwareHeader), "firmwareHeader"),
    certHeader: headerName(r, r.string("certHeader", d.certHeader), "certHeader"),
    minFirmware,
    firmwareWeight: weight(r, "firmwareWeight", d.firmwareWeight),
    certMissingWeight: weight(r, "certMissingWeight", d.certMissingWeight),
    certInvalidWeight: weight(r, "certInvalidWeight", d.certInvalidWeight),
    trustedCaPem,
  };
}

export function state(r: Reader): StateConfig {
  const d = STATE_DEFAULTS;
  return {
    profileTtlMs: ms(r, "profileTtlMs", d.profileTtlMs),
    eventTtlMs: ms(r, "eventTtlMs", d.eventTtlMs),
    maxFailuresPerKey: r.int("maxFailuresPerKey", d.maxFailuresPerKey, 1),
    maxEntries: r.int("maxEntries", d.maxEntries, 1, MAX_INT),
  };
}

/** Envoy hands header names to ext_authz in lower case; a capitalised name would never match. */
function headerName(at: Reader | ListItem, name: string, key?: string): string {
  if (/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  const problem = `must be a lower-case header name, got ${JSON.stringify(name)}`;
  throw at instanceof Reader ? at.fail(key, problem) : at.fail(problem);
}
