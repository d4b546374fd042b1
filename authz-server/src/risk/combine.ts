// Combining signal contributions into one score 0..100 and a level.
//
// Saturating combination ("probabilistic OR"): with contributions c_i in points,
//   score = round(100 · (1 − Π_i (1 − min(c_i, 100)/100)))
// so one signal at 100 reaches 100 alone, two signals of 50 give 75 (not 100), and adding a signal
// never lowers the score. The reasons keep each signal's own contribution c_i (so their sum may
// exceed the score). A level floor from a security event raises the score to that level's
// threshold, never lowers it.
import { levelRank, type RiskAssessment, type RiskLevel, type RiskReason } from "./types.ts";

/** Lowest score of each level above `low`; must satisfy 0 < medium < high < critical ≤ 100. */
export interface LevelThresholds {
  medium: number;
  high: number;
  critical: number;
}

export const LEVEL_DEFAULTS: LevelThresholds = { medium: 30, high: 60, critical: 85 };

export function saturate(contributions: readonly number[]): number {
  let remaining = 1;
  for (const c of contributions) remaining *= 1 - Math.min(Math.max(c, 0), 100) / 100;
  return Math.round(100 * (1 - remaining));
}

export function levelOf(score: number, t: LevelThresholds): RiskLevel {
  if (score >= t.critical) return "critical";
  if (score >= t.high) return "high";
  if (score >= t.medium) return "medium";
  return "low";
}

export function thresholdOf(level: RiskLevel, t: LevelThresholds): number {
  return level === "low" ? 0 : t[level];
}

/** The assessment for a set of reasons, with an optional level floor (from a security event). */
export function combine(reasons: RiskReason[], t: LevelThresholds, floor: RiskLevel = "low"): RiskAssessment {
  let score = saturate(reasons.map((r) => r.contribution));
  if (levelRank(floor) > levelRank(levelOf(score, t))) score = thresholdOf(floor, t);
  reasons.sort((a, b) => b.contribution - a.contribution);
  return { score, level: levelOf(score, t), reasons };
}
