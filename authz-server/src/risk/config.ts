// The risk engine's configuration: one typed schema assembled from the signals' own defaults,
// validated at start-up with the server's config reader (config/reader.ts), one reader per section.
// Unknown fields, wrong types, out-of-range numbers and inconsistent pairs are rejected with a
// ConfigError (MW_CONFIG) naming the field (e.g. `failedAuth.principalSaturation`).
import { Reader } from "../config/reader.ts";
import { ConfigError } from "../errors.ts";
import { LEVEL_DEFAULTS, type LevelThresholds } from "./combine.ts";
import { checkRelations } from "./config-relations.ts";
import * as read from "./config-sections.ts";
import { STATE_DEFAULTS, type StateConfig } from "./config-sections.ts";
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

export type { StateConfig };

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
  state: STATE_DEFAULTS,
};

/** Errors name the field within the risk config, under this scope. */
const SCOPE = "risk config ";

const SECTIONS = {
  levels: read.levels,
  ipReputation: read.ipReputation,
  failedAuth: read.failedAuth,
  requestRate: read.requestRate,
  travel: read.travel,
  device: read.device,
  token: read.token,
  timeOfDay: read.timeOfDay,
  sensitivity: read.sensitivity,
  devicePosture: read.devicePosture,
  state: read.state,
} satisfies { [K in keyof RiskConfig]: (r: Reader) => RiskConfig[K] };

/** Validates a (partial) risk config over the defaults; throws ConfigError naming the field. */
export function parseRiskConfig(raw: unknown = {}): RiskConfig {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new ConfigError(
      "(root)",
      `expected object, got ${raw === null ? "null" : Array.isArray(raw) ? "array" : typeof raw}`,
      SCOPE,
    );
  const root = new Reader(raw as Record<string, unknown>, "", SCOPE).only(Object.keys(SECTIONS));
  const config = Object.fromEntries(
    Object.entries(SECTIONS).map(([key, read]) => [
      key,
      read(root.section(key).only(Object.keys(RISK_DEFAULTS[key as keyof RiskConfig]))),
    ]),
  ) as unknown as RiskConfig;
  checkRelations(config);
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
