// The one clock of a check: the wall clock stamps what the policy and the enrichers see, the
// monotonic clock measures durations and deadlines (it does not jump when the wall clock is set).

export interface CheckClock {
  /** Wall clock, ms since the epoch. */
  nowMs(): number;
  /** Monotonic clock for durations and deadlines, ms. */
  monotonicMs(): number;
}

export const systemClock: CheckClock = { nowMs: Date.now, monotonicMs: () => performance.now() };
