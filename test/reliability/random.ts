// Seeded randomness for the reliability suites: every fuzz run is reproducible from its seed
// (`npm run fuzz -- --seed N`). xoshiro128** over 32-bit state words, seeded by splitmix32, so two
// seeds that differ in one bit give unrelated streams.

/** A seeded random source with the few draws the generators need. */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(readonly seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Random.pick: empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Sizes skewed towards small values but reaching `max` now and then (log-uniform). */
  size(max: number): number {
    if (this.chance(0.02)) return max;
    return Math.min(max, Math.floor(Math.exp(this.float() * Math.log(max + 1))) - 1);
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** A string of `length` characters drawn from `alphabet`. */
  text(alphabet: string, length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }

  /** A child stream for one case: case `i` of a run reproduces alone from (seed, i). */
  fork(index: number): Random {
    return new Random((Math.imul(this.seed ^ 0x5bd1e995, 31) + index) >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Printable ASCII without the characters HTTP header values may not carry. */
export const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const VALUE_CHARS = `${TOKEN_CHARS} "(),/:;<=>?@[\\]{}`;
/** Characters that break parsers: controls, CR/LF, NUL, quotes, escapes, non-ASCII. */
export const HOSTILE_CHARS = "\r\n\0\t%\"'\\/;=&?#\u00e9\u00ff\u2028\ud83d\ude00{}[]<>";
