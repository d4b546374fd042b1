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

const KINDS = ["subject", "session", "token"] as const;
const NO_EFFECT: EventEffects = { floor: "low" };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A token without `iat` counts as issued before any event. */
function issuedBefore(issuedAtMs: number | null, atMs: number): boolean {
  return issuedAtMs === null || issuedAtMs <= atMs;
}

/** The effects of one target's state; returns the level floor they imply. */
function targetEffects(
  kind: (typeof KINDS)[number],
  state: EventState,
  issuedAtMs: number | null,
  nowMs: number,
  t: LevelThresholds,
  out: RiskReason[],
): RiskLevel {
  let floor: RiskLevel = "low";
  const revoked = state.revokedAtMs;
  if (revoked !== undefined && (kind !== "subject" || issuedBefore(issuedAtMs, revoked))) {
    out.push({ signal: "session-revoked", contribution: 100, detail: `${kind} revoked at ${iso(revoked)}` });
    floor = "critical";
  }
  const changed = state.credentialChangedAtMs;
  if (changed !== undefined && issuedBefore(issuedAtMs, changed)) {
    const detail = `credentials changed at ${iso(changed)}, after this token was issued`;
    out.push({ signal: "credential-change", contribution: thresholdOf("high", t), detail });
    if (levelRank("high") > levelRank(floor)) floor = "high";
  }
  const level = state.riskLevel;
  if (level !== undefined && level !== "low" && (state.riskLevelUntilMs ?? 0) > nowMs) {
    const detail = `${kind} set to ${level} until ${iso(state.riskLevelUntilMs ?? 0)}`;
    out.push({ signal: "risk-level-change", contribution: thresholdOf(level, t), detail });
    if (levelRank(level) > levelRank(floor)) floor = level;
  }
  return floor;
}

/** Appends the reasons the events imply and returns the level floor. */
export function applyEventEffects(
  snapshot: Snapshot,
  issuedAtMs: number | null,
  nowMs: number,
  t: LevelThresholds,
  out: RiskReason[],
): EventEffects {
  if (snapshot.subjectEvents === null && snapshot.sessionEvents === null && snapshot.tokenEvents === null)
    return NO_EFFECT;
  let floor: RiskLevel = "low";
  for (const kind of KINDS) {
    const state =
      kind === "subject" ? snapshot.subjectEvents : kind === "session" ? snapshot.sessionEvents : snapshot.tokenEvents;
    if (state === null) continue;
    const level = targetEffects(kind, state, issuedAtMs, nowMs, t, out);
    if (levelRank(level) > levelRank(floor)) floor = level;
  }
  return { floor };
}
