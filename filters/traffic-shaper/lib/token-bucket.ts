/**
 * Token-bucket rate limiting, as pure maths over a 16-byte state that fits proxy shared data.
 *
 * A bucket holds at most `burst` tokens and refills continuously at `refillPerNs` tokens per ns
 * (= rate / unit). A request costing `cost` tokens is admitted iff the bucket, refilled up to
 * now, holds at least `cost`; then `cost` is removed. A new bucket starts full, so over an
 * interval T from creation at most `burst + rate·T` requests are admitted; the e2e tests hold the
 * filter to ±2% of `rate × seconds + burst` in real Envoy.
 *
 *   tokens(now) = min(burst, tokens + max(0, now − last) · refillPerNs)
 *
 * Sharing across Envoy workers: the glue reads the 16 bytes with their CAS token
 * (`proxy_get_shared_data`), calls `takeTokens` on the decoded copy, and writes back with that CAS
 * (`proxy_set_shared_data`); on a CAS mismatch it re-reads and retries, so all workers share one
 * bucket exactly. `last` never moves backwards: two workers whose clock readings interleave (or a
 * stepped clock) neither refund nor lose tokens.
 *
 * Encoding (little-endian): bytes 0..7 `tokens` (f64), bytes 8..15 `lastNs` (i64). An empty value
 * (key absent or cleared) means "full bucket"; any other length or a non-finite token count is
 * corrupt, reported as such (the glue applies the configured failure mode).
 *
 * Floating point: tokens are f64 (exact for integers below 2^53); the admission test tolerates
 * `EPSILON_TOKENS` so that 0.9999999999 accumulated from many small refills counts as 1.
 */
import { elapsedNs, laterNs } from "../../lib/time";

export const BUCKET_BYTES: i32 = 16;
export const EPSILON_TOKENS: f64 = 1e-9;

export class BucketState {
  tokens: f64 = 0;
  lastNs: i64 = 0;
}

export class TakeResult {
  allowed: bool = false;
  /** Whole tokens left after this decision (for `RateLimit: r=`). */
  remaining: f64 = 0;
  /** When denied: ns until `cost` tokens will be available (for `Retry-After`). 0 when allowed. */
  retryAfterNs: i64 = 0;
  /** ns until the bucket is full again (for `RateLimit: t=`). */
  resetNs: i64 = 0;
}

/** A full bucket created at `nowNs`. */
export function newBucket(burst: f64, nowNs: i64): BucketState {
  const s = new BucketState();
  s.tokens = burst;
  s.lastNs = nowNs;
  return s;
}

/** Refills `state` to `nowNs` (in place). */
export function refill(state: BucketState, nowNs: i64, burst: f64, refillPerNs: f64): void {
  const added = <f64>elapsedNs(nowNs, state.lastNs) * refillPerNs;
  const t = state.tokens + added;
  state.tokens = t < burst ? t : burst;
  state.lastNs = laterNs(state.lastNs, nowNs);
}

/** Refills, then takes `cost` tokens if available. Mutates `state`; returns the decision. */
export function takeTokens(state: BucketState, nowNs: i64, cost: f64, burst: f64, refillPerNs: f64): TakeResult {
  refill(state, nowNs, burst, refillPerNs);
  const r = new TakeResult();
  if (state.tokens + EPSILON_TOKENS >= cost) {
    state.tokens -= cost;
    if (state.tokens < 0) state.tokens = 0;
    r.allowed = true;
  } else {
    r.retryAfterNs = nsToRefill(cost - state.tokens, refillPerNs);
  }
  r.remaining = Math.floor(state.tokens + EPSILON_TOKENS);
  r.resetNs = nsToRefill(burst - state.tokens, refillPerNs);
  return r;
}

/**
 * ns needed to refill `missing` tokens, rounded up; 0 when nothing is missing. The quotient is
 * nudged down by 1e-6 ns before rounding so that float noise (0.01 / 1e-8 = 1000000.0000000001)
 * does not add a whole nanosecond.
 */
export function nsToRefill(missing: f64, refillPerNs: f64): i64 {
  if (!(missing > EPSILON_TOKENS)) return 0;
  if (!(refillPerNs > 0)) return i64.MAX_VALUE;
  const ns = Math.ceil(missing / refillPerNs - 1e-6);
  return ns < 9.2e18 ? <i64>ns : i64.MAX_VALUE;
}

/**
 * True when a bucket last touched at `state.lastNs` would be full by `nowNs` anyway: clearing its
 * shared-data key then loses nothing (a cleared key reads as a full bucket). The glue evicts idle
 * descriptor keys only under this condition, so eviction never hands out extra tokens.
 */
export function isIdleFull(state: BucketState, nowNs: i64, burst: f64, refillPerNs: f64): bool {
  return elapsedNs(nowNs, state.lastNs) >= nsToRefill(burst - state.tokens, refillPerNs);
}

export function encodeBucket(state: BucketState): ArrayBuffer {
  const buf = new ArrayBuffer(BUCKET_BYTES);
  encodeBucketAt(state, changetype<usize>(buf));
  return buf;
}

/** Writes the BUCKET_BYTES encoding of `state` at `ptr` (Wasm memory is little-endian). */
export function encodeBucketAt(state: BucketState, ptr: usize): void {
  store<f64>(ptr, state.tokens);
  store<i64>(ptr, state.lastNs, 8);
}

/** Decodes the non-empty value of `size` bytes at `ptr` into `into`: "" when it is a bucket,
 *  otherwise why not (`into` then unchanged). */
export function decodeBucketAt(ptr: usize, size: usize, into: BucketState): string {
  if (size != <usize>BUCKET_BYTES)
    return "bucket: expected " + BUCKET_BYTES.toString() + " bytes, got " + size.toString();
  const tokens = load<f64>(ptr);
  if (!isFinite(tokens) || tokens < 0) return "bucket: corrupt token count";
  into.tokens = tokens;
  into.lastNs = load<i64>(ptr, 8);
  return "";
}

export class DecodeResult {
  state: BucketState | null = null;
  /** "" when ok or empty; otherwise why the bytes are not a bucket. */
  error: string = "";
  empty: bool = false;
}

/** Decodes shared-data bytes. Empty → `empty` (caller starts a full bucket). */
export function decodeBucket(bytes: ArrayBuffer): DecodeResult {
  const r = new DecodeResult();
  if (bytes.byteLength == 0) {
    r.empty = true;
    return r;
  }
  const s = new BucketState();
  r.error = decodeBucketAt(changetype<usize>(bytes), <usize>bytes.byteLength, s);
  if (r.error.length == 0) r.state = s;
  return r;
}
