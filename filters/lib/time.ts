/**
 * Time units shared by the pure filter modules.
 *
 * Every algorithm takes `nowNs: i64` (nanoseconds from the host's monotonic or wall clock, as
 * `proxy_get_current_time_nanoseconds` returns) instead of reading a clock, so tests and the
 * simulator can drive time. Config fields are written in milliseconds (humans) and converted
 * once at configure time with `msToNs`.
 */

export const NS_PER_US: i64 = 1_000;
export const NS_PER_MS: i64 = 1_000_000;
export const NS_PER_SEC: i64 = 1_000_000_000;

/** Milliseconds (config units) to nanoseconds (algorithm units). */
export function msToNs(ms: f64): i64 {
  return <i64>(ms * <f64>NS_PER_MS);
}

/** Nanoseconds to milliseconds as a float (metrics, headers). */
export function nsToMs(ns: i64): f64 {
  return <f64>ns / <f64>NS_PER_MS;
}

/**
 * Time elapsed from `thenNs` to `nowNs`, never negative. A clock that goes backwards (wall clock
 * adjusted, or two workers whose readings interleave) yields 0 rather than a negative interval, so
 * no estimator ever "un-decays" or refunds tokens. A difference too large for i64 (e.g. a corrupt
 * stamp of i64.MIN_VALUE) saturates at i64.MAX_VALUE instead of wrapping negative.
 */
export function elapsedNs(nowNs: i64, thenNs: i64): i64 {
  if (nowNs <= thenNs) return 0;
  const d = nowNs - thenNs;
  return d > 0 ? d : i64.MAX_VALUE;
}

/** The later of two instants: stamps only move forward even if the clock steps back. */
export function laterNs(a: i64, b: i64): i64 {
  return a > b ? a : b;
}

/** `atNs + durationNs` for a non-negative duration, saturating at i64.MAX_VALUE (deadlines). */
export function deadlineNs(atNs: i64, durationNs: i64): i64 {
  if (durationNs <= 0) return atNs;
  return atNs > i64.MAX_VALUE - durationNs ? i64.MAX_VALUE : atNs + durationNs;
}
