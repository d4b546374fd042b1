// How stored security-event state (see events.ts) turns into reasons and a level floor for one check.
//
// - Revoked: the session (claim `sid`) or token (claim `jti`) has a revocation, or the subject has one
//   dated at or after the token's `iat` (a token without `iat` counts as issued before) → a reason of
//   100 points, so the check scores 100 / critical whatever else is true.
// - Credential change dated at or after the token's `iat` → floor `high` (step-up), reason worth the
//   `high` threshold.
// - A `risk-level-change` floor still valid at `now` → that level; the highest of subject, session and
//   token floors wins.
import { type LevelThresholds, thresholdOf } from "./combine.ts";
import type { EventState, Snapshot } from "./store/types.ts";
import { levelRank, type RiskLevel, type RiskReason } from "./types.ts";

export interface EventEffects {
  floor: RiskLevel;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Appends the reasons the events imply and returns the level floor. */
export function applyEventEffects(
  snapshot: Snapshot,
  issuedAtMs: number | null,
  nowMs: number,
  t: LevelThresholds,
  out: RiskReason[],
): EventEffects {
  let floor: RiskLevel = "low";
  const raise = (level: RiskLevel) => {
    if (levelRank(level) > levelRank(floor)) floor = level;
  };
  const issuedBefore = (atMs: number) => issuedAtMs === null || issuedAtMs <= atMs;
  const targets: Array<[string, EventState | null]> = [
    ["subject", snapshot.subjectEvents],
    ["session", snapshot.sessionEvents],
    ["token", snapshot.tokenEvents],
  ];
  for (const [kind, state] of targets) {
    if (state === null) continue;
    const revoked = state.revokedAtMs;
    if (revoked !== undefined && (kind !== "subject" || issuedBefore(revoked))) {
      out.push({ signal: "session-revoked", contribution: 100, detail: `${kind} revoked at ${iso(revoked)}` });
      raise("critical");
    }
    const changed = state.credentialChangedAtMs;
    if (changed !== undefined && issuedBefore(changed)) {
      out.push({
        signal: "credential-change",
        contribution: thresholdOf("high", t),
        detail: `credentials changed at ${iso(changed)}, after this token was issued`,
      });
      raise("high");
    }
    if (state.riskLevel !== undefined && state.riskLevel !== "low" && (state.riskLevelUntilMs ?? 0) > nowMs) {
      out.push({
        signal: "risk-level-change",
        contribution: thresholdOf(state.riskLevel, t),
        detail: `${kind} set to ${state.riskLevel} until ${iso(state.riskLevelUntilMs ?? 0)}`,
      });
      raise(state.riskLevel);
    }
  }
  return { floor };
}
