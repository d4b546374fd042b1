// The risk engine's configuration: one typed schema assembled from the signals' own defaults,
// validated at start-up. Unknown fields, wrong types, out-of-range numbers and inconsistent pairs
// are rejected with a RiskConfigError naming the field (e.g. `failedAuth.principalSaturation`).
import { LEVEL_DEFAULTS, type LevelThresholds } from "./combine.ts";
import { checkConsistency, checkElement, RiskConfigError } from "./config-checks.ts";
import { DEVICE_POSTURE_DEFAULTS, type DevicePostureConfig } from "./signals/device-posture.ts";
import { SENSITIVITY_DEFAULTS, type SensitivityConfig } from "./signals/endpoint-sensitivity.ts";
import { FAILED_AUTH_DEFAULTS, type FailedAuthConfig } from "./signals/failed-auth-velocity.ts";
import { TRAVEL_DEFAULTS, type TravelConfig } from "./signals/impossible-travel.ts";
import { IP_REPUTATION_DEFAULTS, type IpReputationConfig } from "./signals/ip-reputation.ts";
import { DEVICE_DEFAULTS, type DeviceConfig } from "./signals/new-device.ts";
import { REQUEST_RATE_DEFAULTS, type RequestRateConfig } from "./signals/request-rate.ts";
import { TIME_OF_DAY_DEFAULTS, type TimeOfDayConfig } from "./signals/time-of-day.ts";
import { TOKEN_DEFAULTS, type TokenConfig } from "./signals/token-assurance.ts";
import type { StoreLimits } from "./store/types.ts";

export { RiskConfigError };

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

export interface RiskConfig {
  levels: LevelThresholds;
  ipReputation: IpReputationConfig;
  failedAuth: FailedAuthConfig;
  requestRate: RequestRateConfig;
  travel: TravelConfig;
  device: DeviceConfig;
  token: TokenConfig;
  timeOfDay: TimeOfDayConfig;
  sensitivity: SensitivityConfig;
  devicePosture: DevicePostureConfig;
  state: StateConfig;
}

export const RISK_DEFAULTS: RiskConfig = {
  levels: LEVEL_DEFAULTS,
  ipReputation: IP_REPUTATION_DEFAULTS,
  failedAuth: FAILED_AUTH_DEFAULTS,
  requestRate: REQUEST_RATE_DEFAULTS,
  travel: TRAVEL_DEFAULTS,
  device: DEVICE_DEFAULTS,
  token: TOKEN_DEFAULTS,
  timeOfDay: TIME_OF_DAY_DEFAULTS,
  sensitivity: SENSITIVITY_DEFAULTS,
  devicePosture: DEVICE_POSTURE_DEFAULTS,
  state: { profileTtlMs: 30 * 86_400_000, eventTtlMs: 86_400_000, maxFailuresPerKey: 1000, maxEntries: 100_000 },
};

/** Numeric range rules by field name (the last path segment); default: finite and ≥ 0. */
function numberRule(path: string): { min: number; max: number; integer: boolean } {
  const key = path.slice(path.lastIndexOf(".") + 1);
  if (path.startsWith("levels.")) return { min: 1, max: 100, integer: true };
  if (/weight$/i.test(key) || path.includes(".weights.")) return { min: 0, max: 100, integer: false };
  if (/Strength$/.test(key) || key === "minShare") return { min: 0, max: 1, integer: false };
  if (key === "alpha") return { min: Number.MIN_VALUE, max: 1, integer: false };
  if (key === "utcOffsetMinutes") return { min: -840, max: 840, integer: true };
  if (/Buckets$|^max(Failures|Entries|Per)|^min(Count|Samples)$/.test(key))
    return { min: key.startsWith("min") ? 0 : 1, max: Number.MAX_SAFE_INTEGER, integer: true };
  if (/Ms$/.test(key)) return { min: key === "clockSkewMs" ? 0 : 1, max: Number.MAX_SAFE_INTEGER, integer: true };
  return { min: 0, max: Number.MAX_VALUE, integer: false };
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Merges `raw` over `defaults`, checking every field against the default's type. */
function mergeChecked(defaults: unknown, raw: unknown, path: string): unknown {
  if (raw === undefined) return structuredClone(defaults);
  const want = typeName(defaults);
  const got = typeName(raw);
  if (want !== got) throw new RiskConfigError(path, `expected ${want}, got ${got}`);
  if (want === "number") {
    const n = raw as number;
    const rule = numberRule(path);
    if (!Number.isFinite(n) || n < rule.min || n > rule.max)
      throw new RiskConfigError(path, `must be a number in ${rule.min}..${rule.max}, got ${n}`);
    if (rule.integer && !Number.isInteger(n)) throw new RiskConfigError(path, `must be an integer, got ${n}`);
    return n;
  }
  if (want === "array") return (raw as unknown[]).map((el, i) => checkElement(path, el, i));
  if (want !== "object") return raw;
  const d = defaults as Record<string, unknown>;
  const r = raw as Record<string, unknown>;
  const at = (key: string) => (path ? `${path}.${key}` : key);
  for (const key of Object.keys(r)) {
    if (!Object.hasOwn(d, key))
      throw new RiskConfigError(at(key), `unknown field (known: ${Object.keys(d).join(", ")})`);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(d)) out[key] = mergeChecked(d[key], r[key], at(key));
  return out;
}

/** Validates a (partial) risk config over the defaults; throws RiskConfigError naming the field. */
export function parseRiskConfig(raw: unknown = {}): RiskConfig {
  if (typeName(raw) !== "object") throw new RiskConfigError("(root)", `expected object, got ${typeName(raw)}`);
  const config = mergeChecked(RISK_DEFAULTS, raw, "") as RiskConfig;
  checkConsistency(config);
  return config;
}

export function storeLimitsFrom(config: RiskConfig): StoreLimits {
  return {
    principalFailureWindowMs: config.failedAuth.principalWindowMs,
    ipFailureWindowMs: config.failedAuth.ipWindowMs,
    maxFailuresPerKey: config.state.maxFailuresPerKey,
    rateBucketMs: config.requestRate.bucketMs,
    rateHistoryBuckets: config.requestRate.historyBuckets,
    maxFingerprints: config.device.maxPerPrincipal,
    profileTtlMs: config.state.profileTtlMs,
    eventTtlMs: config.state.eventTtlMs,
  };
}
