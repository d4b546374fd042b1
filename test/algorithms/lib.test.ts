// filters/lib: the strict JSON reader, the seeded PRNG (checked against an independent BigInt
// implementation of SplitMix64 + xorshift64*), and time helpers.
import { beforeAll, describe, expect, it } from "vitest";
import type { AlgorithmsApi } from "./algorithms-api.ts";
import { loadAlgorithms } from "./wasm.ts";

let api: AlgorithmsApi;
beforeAll(async () => {
  api = await loadAlgorithms();
});

const M64 = (1n << 64n) - 1n;
function splitMix64(seed: bigint): bigint {
  let z = (seed + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}
function* xorshift64star(seed: bigint) {
  let x = splitMix64(seed);
  for (;;) {
    x ^= x >> 12n;
    x = (x ^ (x << 25n)) & M64;
    x ^= x >> 27n;
    yield (x * 0x2545f4914f6cdd1dn) & M64;
  }
}

describe("json reader", () => {
  const cases: Array<[string, string]> = [
    ['{"a":1,"b":[true,false,null],"c":{"d":"x\\u0041\\n"}}', ""],
    ["  [1, -0.5, 2e3, 1E-2]  ", ""],
    ['"\\ud83d\\ude00"', ""],
    ['{"a":1,}', "offset 7: expected a string key"],
    ["[1,]", "offset 3: unexpected character"],
    ['{"a":1,"a":2}', 'offset 10: duplicate key "a"'],
    ["01", "offset 1: unexpected trailing characters"],
    ["+1", "offset 0: unexpected character"],
    ["1.", "offset 2: invalid number: digits expected after '.'"],
    ["1e", "offset 2: invalid number: digits expected in exponent"],
    ["NaN", "offset 0: unexpected character"],
    ["1e999", "offset 0: number out of range"],
    ['"abc', "offset 4: unterminated string"],
    ['"a\tb"', "offset 2: control character in string"],
    ['"\\x"', "offset 2: invalid escape"],
    ['"\\u12G4"', "offset 5: invalid \\u escape"],
    ["", "offset 0: unexpected end of input"],
    ["// c\n{}", "offset 0: unexpected character"],
    ["[1] [2]", "offset 4: unexpected trailing characters"],
    ['{"a" 1}', "offset 5: expected ':'"],
    ['{"a":1 "b":2}', "offset 7: expected ',' or '}'"],
  ];
  it.each(cases)("%j → %j", (text, error) => {
    expect(api.jsonError(text)).toBe(error);
  });

  it("rejects nesting deeper than 32 levels without overflowing the stack", () => {
    expect(api.jsonError(`${"[".repeat(32)}${"]".repeat(32)}`)).toBe("");
    expect(api.jsonError(`${"[".repeat(34)}${"]".repeat(34)}`)).toBe("offset 33: nesting deeper than 32");
    expect(api.jsonError("[".repeat(100_000))).toBe("offset 33: nesting deeper than 32");
  });
});

describe("prng (xorshift64* seeded through SplitMix64)", () => {
  it.each([0n, 1n, 42n, 0xffffffffffffffffn])("matches an independent BigInt implementation for seed %s", (seed) => {
    api.rngSeed(seed);
    const reference = xorshift64star(seed);
    for (let i = 0; i < 64; i++) expect(api.rngNextU64()).toBe(reference.next().value);
  });

  it("is deterministic per seed and differs across neighbouring seeds", () => {
    api.rngSeed(7n);
    const a = [api.rngNextU64(), api.rngNextU64()];
    api.rngSeed(7n);
    expect([api.rngNextU64(), api.rngNextU64()]).toEqual(a);
    api.rngSeed(8n);
    expect(api.rngNextU64()).not.toBe(a[0]);
  });

  it("nextFloat stays in [0, 1) and below(n) in [0, n), uniformly enough", () => {
    api.rngSeed(3n);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 50_000; i++) {
      const f = api.rngFloat();
      expect(f >= 0 && f < 1).toBe(true);
      const b = api.rngBelow(5);
      counts[b] = (counts[b] as number) + 1;
    }
    for (const c of counts) expect(Math.abs(c / 50_000 - 0.2)).toBeLessThan(0.01);
    expect(api.rngBelow(1)).toBe(0);
    expect(api.rngBelow(0)).toBe(0);
    expect(api.rngBelow(-5)).toBe(0);
  });
});

describe("time", () => {
  it("elapsed is never negative (clock going backwards counts as no time)", () => {
    expect(api.elapsed(10n, 3n)).toBe(7n);
    expect(api.elapsed(3n, 10n)).toBe(0n);
    expect(api.elapsed(-(2n ** 63n), 2n ** 63n - 1n)).toBe(0n);
    expect(api.elapsed(2n ** 63n - 1n, -(2n ** 63n))).toBe(2n ** 63n - 1n); // saturates, never wraps
    expect(api.elapsed(2n ** 63n - 1n, -1n)).toBe(2n ** 63n - 1n);
  });

  it("deadlines saturate instead of wrapping into the past", () => {
    expect(api.deadline(10n, 5n)).toBe(15n);
    expect(api.deadline(10n, -5n)).toBe(10n);
    expect(api.deadline(2n ** 63n - 10n, 100n)).toBe(2n ** 63n - 1n);
  });
});
