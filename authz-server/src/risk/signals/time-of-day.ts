// Signal 7 — unusual time of day for the principal.
//
// The store keeps a histogram of the principal's requests per local hour (0..23, local = UTC +
// `utcOffsetMinutes`); n below is that histogram before this request (the snapshot's minus this one).
// share = (n[h−1] + n[h] + n[h+1]) / Σn over the hour of this request and its two neighbours (circular, so a habit of working 08:00–17:00 also covers 07:xx and 17:xx).
// With Σn ≥ `minSamples` (default 50) and share < `minShare` (default 0.05):
// strength = 1 − share / minShare; contribution = `weight` (default 20) × strength.
// Example: 100 requests, none within ±1 h of now → strength 1 → 20 points.
import { addReason, type Signal } from "./signal.ts";

export interface TimeOfDayConfig {
  weight: number;
  utcOffsetMinutes: number;
  minSamples: number;
  minShare: number;
}

export const TIME_OF_DAY_DEFAULTS: TimeOfDayConfig = {
  weight: 20,
  utcOffsetMinutes: 0,
  minSamples: 50,
  minShare: 0.05,
};

/** Local hour 0..23 of an instant. */
export function localHour(nowMs: number, utcOffsetMinutes: number): number {
  const hours = Math.floor((nowMs + utcOffsetMinutes * 60_000) / 3_600_000);
  return ((hours % 24) + 24) % 24;
}

export function createTimeOfDay(config: TimeOfDayConfig): Signal {
  return ({ snapshot, nowMs, principal }, out) => {
    if (principal === null) return;
    const n = snapshot.hours;
    const h = localHour(nowMs, config.utcOffsetMinutes);
    // The snapshot counts this request in hour h; judge it against the history before it.
    const self = (n[h] ?? 0) > 0 ? 1 : 0;
    let total = -self;
    for (const c of n) total += c;
    if (total < config.minSamples) return;
    const near = (n[(h + 23) % 24] ?? 0) + (n[h] ?? 0) - self + (n[(h + 1) % 24] ?? 0);
    const share = near / total;
    if (share >= config.minShare) return;
    addReason(
      out,
      "time-of-day",
      config.weight,
      1 - share / config.minShare,
      `${near} of ${total} past requests within an hour of ${String(h).padStart(2, "0")}:00 local`,
    );
  };
}
