// What every signal module shares: its input (the check's context, the store snapshot and values
// derived once per check) and how it reports a contribution.
import type { Words } from "../net/cidr.ts";
import type { GeoPoint, Snapshot } from "../store/types.ts";
import type { RiskContext, RiskReason } from "../types.ts";

export interface SignalInput {
  ctx: RiskContext;
  snapshot: Snapshot;
  /** Milliseconds since the epoch (the engine's caller passes the clock). */
  nowMs: number;
  principal: string | null;
  /** The source IP parsed once per check (null when absent or unparseable). */
  ipWords: Words | null;
  location: GeoPoint | null;
}

/** A signal appends zero or more reasons; it never throws on odd input (it ignores what it cannot read). */
export type Signal = (input: SignalInput, out: RiskReason[]) => void;

export function clamp01(x: number): number {
  if (!(x > 0)) return 0; // also maps NaN to 0
  return Math.min(x, 1);
}

/** `(x - start) / (full - start)` clamped to 0..1: 0 at or below `start`, 1 at or above `full`. */
export function ramp(x: number, start: number, full: number): number {
  if (full <= start) return x >= full ? 1 : 0;
  return clamp01((x - start) / (full - start));
}

/** Appends `weight × strength` points (rounded to 0.01) when both are positive. */
export function addReason(out: RiskReason[], signal: string, weight: number, strength: number, detail: string): void {
  const contribution = Math.round(weight * clamp01(strength) * 100) / 100;
  if (contribution > 0) out.push({ signal, contribution, detail });
}
