/**
 * Seeded pseudo-random numbers for the pure filter modules (P2C sampling, jitter).
 *
 * Algorithm: xorshift64* (Marsaglia's xorshift with the multiplier 0x2545F4914F6CDD1D from
 * Vigna, "An experimental exploration of Marsaglia's xorshift generators, scrambled", 2016).
 * The seed is first mixed with one SplitMix64 step so that small or similar seeds (0, 1, 2, …)
 * start far apart, and a zero state (a fixed point of xorshift) is impossible.
 *
 * Not cryptographic. The glue seeds it once per VM from the host (e.g. the current time or
 * `random_get`); tests and the simulator seed it with a constant so runs are reproducible.
 */
export class Rng {
  private state: u64;

  constructor(seed: u64) {
    this.state = splitMix64(seed);
    if (this.state == 0) this.state = 0x9e3779b97f4a7c15;
  }

  /** Next 64 uniformly distributed bits. */
  nextU64(): u64 {
    let x = this.state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    this.state = x;
    return x * 0x2545f4914f6cdd1d;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): f64 {
    return <f64>(this.nextU64() >> 11) * 1.1102230246251565e-16; // 2^-53
  }

  /**
   * Uniform integer in [0, bound) for bound ≥ 1 (returns 0 for bound ≤ 1). Uses the high 32 bits
   * times bound (Lemire's multiply-shift without the rejection step); the bias is below
   * bound / 2^32, far under anything a load balancer can observe.
   */
  below(bound: i32): i32 {
    if (bound <= 1) return 0;
    const hi = this.nextU64() >> 32;
    return <i32>((hi * <u64>bound) >> 32);
  }
}

/** One SplitMix64 output step (Steele, Lea, Flood 2014), used to spread a user seed. */
export function splitMix64(seed: u64): u64 {
  let z = seed + 0x9e3779b97f4a7c15;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}
