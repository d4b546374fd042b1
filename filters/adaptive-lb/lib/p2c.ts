/**
 * Power of two choices: sample two distinct candidates uniformly at random and take the one with
 * the lower load (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001;
 * the picker of Finagle's and Linkerd's balancers and tower's `balance::p2c`).
 *
 * Generic over "how loaded": the picker only sees `LoadView.load(i)`, so the same code serves
 * peak-EWMA cost (ours) and pending count (least-request), as tower joins `p2c` and `load` only
 * through its `Load` trait. Randomness is a parameter (seeded `Rng`).
 *
 * Edge cases: 0 candidates → −1; 1 → 0 (no sampling); ties and NaN loads keep the first sample
 * (a NaN never wins over a number, `a <= b` being false for NaN a).
 */
import { Rng } from "../../lib/prng";

export abstract class LoadView {
  abstract size(): i32;
  abstract load(candidate: i32): f64;
}

/** Index (within the view) of the chosen candidate, or −1 for an empty view. */
export function pickP2c(view: LoadView, rng: Rng): i32 {
  const n = view.size();
  if (n <= 0) return -1;
  if (n == 1) return 0;
  const pair = distinctPair(n, rng);
  const a = <i32>(pair >> 32);
  const b = <i32>(pair & 0xffffffff);
  const la = view.load(a);
  const lb = view.load(b);
  if (isNaN(la)) return b;
  return la <= lb || isNaN(lb) ? a : b;
}

/**
 * Two distinct uniform indices in [0, n) for n ≥ 2, packed as (a << 32) | b: draw a from n and
 * b from n − 1, then shift b past a. Exactly uniform over ordered pairs, no retry loop.
 */
export function distinctPair(n: i32, rng: Rng): u64 {
  const a = rng.below(n);
  let b = rng.below(n - 1);
  if (b >= a) b++;
  return ((<u64>a) << 32) | <u64>b;
}
