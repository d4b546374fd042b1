// How an assessment leaves the engine: the upstream headers on allow (the header contract in
// docs/headers.md) and the ext_authz dynamic metadata the traffic shaper and Envoy's rate limiting
// key on. `input.meshward.risk` is the RiskAssessment object itself.
import { UpstreamHeaders } from "../contract/headers.ts";
import type { RiskAssessment } from "./types.ts";

export const RISK_SCORE_HEADER = UpstreamHeaders.riskScore;
export const RISK_LEVEL_HEADER = UpstreamHeaders.riskLevel;

/** Headers added to the upstream request on allow: the integer score and the level. */
export function riskHeaders(a: RiskAssessment): Record<string, string> {
  return { [RISK_SCORE_HEADER]: String(a.score), [RISK_LEVEL_HEADER]: a.level };
}

/** Dynamic metadata (under the ext_authz filter's namespace): flat values a descriptor can match. */
export function riskMetadata(a: RiskAssessment): { risk_score: number; risk_level: string } {
  return { risk_score: a.score, risk_level: a.level };
}
