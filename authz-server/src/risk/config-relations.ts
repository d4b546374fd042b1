// Relations between risk config fields, checked after every field is valid on its own: thresholds
// that must rise, and history that must fit its window.
import { ConfigError } from "../errors.ts";
import type { LevelThresholds } from "./combine.ts";
import type { FailedAuthConfig } from "./signals/failed-auth-velocity.ts";
import type { RequestRateConfig } from "./signals/request-rate.ts";
import type { TokenConfig } from "./signals/token-assurance.ts";

const SCOPE = "risk config ";

function ordered(field: string, low: number, high: number, lowName: string): void {
  if (!(low < high)) throw new ConfigError(field, `must be greater than ${lowName} (${low}), got ${high}`, SCOPE);
}

export function checkRelations(c: {
  levels: LevelThresholds;
  failedAuth: FailedAuthConfig;
  requestRate: RequestRateConfig;
  token: TokenConfig;
}): void {
  ordered("levels.high", c.levels.medium, c.levels.high, "levels.medium");
  ordered("levels.critical", c.levels.high, c.levels.critical, "levels.high");
  ordered(
    "failedAuth.principalSaturation",
    c.failedAuth.principalAllowance,
    c.failedAuth.principalSaturation,
    "failedAuth.principalAllowance",
  );
  ordered("failedAuth.ipSaturation", c.failedAuth.ipAllowance, c.failedAuth.ipSaturation, "failedAuth.ipAllowance");
  ordered("requestRate.zFull", c.requestRate.zStart, c.requestRate.zFull, "requestRate.zStart");
  ordered("token.maxAgeMs", c.token.freshAgeMs, c.token.maxAgeMs, "token.freshAgeMs");
  if (c.requestRate.minHistoryBuckets > c.requestRate.historyBuckets)
    throw new ConfigError(
      "requestRate.minHistoryBuckets",
      `must not exceed requestRate.historyBuckets (${c.requestRate.historyBuckets})`,
      SCOPE,
    );
}
