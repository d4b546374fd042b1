// Token-bucket maths, its 16-byte shared-data encoding, and the CAS protocol the glue follows,
// exercised with two interleaved "workers" over one shared value (as proxy shared data would be).
import { beforeAll, describe, expect, it } from "vitest";
import type { AlgorithmsApi } from "./algorithms-api.ts";
import { loadAlgorithms } from "./wasm.ts";

let api: AlgorithmsApi;
beforeAll(async () => {
  api = await loadAlgorithms();
});

const MS = 1e6;
const S = 1e9;
const per = (rate: number, unitSeconds: number) => rate / (unitSeconds * S);

describe("token bucket", () => {
  it("admits the burst at once, then refuses with Retry-After = time to the next token", () => {
    const refill = per(10, 1); // 10 per second
    api.bucketSet(5, 0); // full bucket of 5
    for (let i = 0; i < 5; i++) expect(api.bucketTake(0, 1, 5, refill)).toBe(true);
    expect(api.takeRemaining()).toBe(0);
    expect(api.takeResetNs()).toBe(500 * MS);
    expect(api.bucketTake(0, 1, 5, refill)).toBe(false);
    expect(api.takeRetryAfterNs()).toBe(100 * MS);
    expect(api.bucketTake(99 * MS, 1, 5, refill)).toBe(false);
    expect(api.takeRetryAfterNs()).toBe(1 * MS);
    expect(api.bucketTake(100 * MS, 1, 5, refill)).toBe(true);
  });

  it("refills continuously and caps at the burst", () => {
    const refill = per(10, 1);
    api.bucketSet(0, 0);
    expect(api.bucketTake(250 * MS, 0, 5, refill)).toBe(true);
    expect(api.bucketTokens()).toBeCloseTo(2.5, 12);
    api.bucketTake(1000 * S, 0, 5, refill);
    expect(api.bucketTokens()).toBe(5);
  });

  it("admits exactly rate·T + burst over T with a request every ms (10 s at 100/s, burst 20 → 1019)", () => {
    const refill = per(100, 1);
    api.bucketSet(20, 0);
    let admitted = 0;
    for (let t = 0; t < 10_000; t++) if (api.bucketTake(t * MS, 1, 20, refill)) admitted++;
    // floor(20 + 100 · 9.999 s) — the last request is at 9.999 s
    expect(admitted).toBe(1019);
  });

  it("per-minute rates: 60/min = one token per second", () => {
    api.bucketSet(0, 0);
    expect(api.bucketTake(999 * MS, 1, 60, per(60, 60))).toBe(false);
    expect(api.bucketTake(1000 * MS, 1, 60, per(60, 60))).toBe(true);
  });

  it("a clock going backwards neither refunds nor loses tokens; lastNs never moves back", () => {
    const refill = per(10, 1);
    api.bucketSet(0, 1 * S);
    expect(api.bucketTake(0.5 * S, 1, 5, refill)).toBe(false);
    expect(api.bucketLastNs()).toBe(1 * S);
    expect(api.bucketTokens()).toBe(0);
    expect(api.bucketTake(1.1 * S, 1, 5, refill)).toBe(true);
  });

  it("survives extreme clock values without overflow (i64 max after i64 min)", () => {
    api.bucketSet(0, 0);
    api.bucketSetLastNsI64(-(2n ** 63n));
    expect(api.bucketTakeI64(2n ** 63n - 1n, 1, 5, per(10, 1))).toBe(true);
    expect(api.bucketTokens()).toBe(4);
  });

  it("a cost larger than the burst is never admitted and never traps", () => {
    api.bucketSet(5, 0);
    expect(api.bucketTake(0, 6, 5, per(10, 1))).toBe(false);
    expect(api.takeRetryAfterNs()).toBe(100 * MS);
  });

  it("tells when a bucket is idle long enough to be full anyway (safe to evict)", () => {
    api.bucketSet(3, 0);
    expect(api.bucketIdleFull(199 * MS, 5, per(10, 1))).toBe(false);
    expect(api.bucketIdleFull(200 * MS, 5, per(10, 1))).toBe(true);
  });
});

describe("shared-data encoding", () => {
  it("encodes tokens (f64) and lastNs (i64) little-endian in 16 bytes and decodes them back", () => {
    api.bucketSet(2.75, 123_456_789);
    const bytes = api.bucketEncode();
    expect(bytes.byteLength).toBe(16);
    const view = new DataView(bytes);
    expect(view.getFloat64(0, true)).toBe(2.75);
    expect(view.getBigInt64(8, true)).toBe(123_456_789n);
    api.bucketSet(0, 0);
    expect(api.bucketDecode(bytes)).toBe("");
    expect(api.bucketTokens()).toBe(2.75);
    expect(api.bucketLastNs()).toBe(123_456_789);
  });

  it("reports empty and corrupt values instead of trapping", () => {
    expect(api.bucketDecode(new ArrayBuffer(0))).toBe("empty");
    expect(api.bucketDecode(new ArrayBuffer(3))).toBe("bucket: expected 16 bytes, got 3");
    const nan = new ArrayBuffer(16);
    new DataView(nan).setFloat64(0, Number.NaN, true);
    expect(api.bucketDecode(nan)).toBe("bucket: corrupt token count");
    const negative = new ArrayBuffer(16);
    new DataView(negative).setFloat64(0, -1, true);
    expect(api.bucketDecode(negative)).toBe("bucket: corrupt token count");
  });

  it("two workers sharing one bucket through CAS admit exactly what one bucket allows", () => {
    // A stand-in for proxy shared data: one value with a CAS counter, set only if unchanged.
    const shared = { bytes: new ArrayBuffer(0), cas: 0 };
    const burst = 10;
    const refill = per(50, 1);
    let admitted = 0;
    let conflicts = 0;
    // Each worker reads (value, cas); the other worker may write in between; the stale one retries.
    const attempt = (nowNs: number, interfere: () => void): boolean => {
      for (let retry = 0; retry < 8; retry++) {
        const snapshot = { bytes: shared.bytes, cas: shared.cas };
        if (api.bucketDecode(snapshot.bytes) === "empty") api.bucketSet(burst, nowNs);
        const ok = api.bucketTake(nowNs, 1, burst, refill);
        const encoded = api.bucketEncode();
        if (retry === 0) interfere();
        if (shared.cas !== snapshot.cas) {
          conflicts++;
          continue;
        }
        shared.bytes = encoded;
        shared.cas++;
        return ok;
      }
      throw new Error("CAS retries exhausted");
    };
    for (let t = 0; t < 2000; t++) {
      const now = t * MS;
      // worker A's read is overtaken by worker B's complete take every third request
      const interfere = t % 3 === 0 ? () => void (attempt(now, () => {}) && admitted++) : () => {};
      if (attempt(now, interfere)) admitted++;
    }
    expect(conflicts).toBeGreaterThan(0);
    // 2 s at 50/s plus the burst, measured at the last instant 1.999 s: floor(10 + 99.95) = 109
    expect(admitted).toBe(109);
  });
});

describe("RateLimit / RateLimit-Policy / Retry-After values", () => {
  it("follows draft-ietf-httpapi-ratelimit-headers-10 structured fields", () => {
    expect(api.policyHeader("per-subject", 100n, 60n)).toBe('"per-subject";q=100;w=60');
    expect(api.rateLimitHeader("per-subject", 3.7, 1_500_000_000n)).toBe('"per-subject";r=3;t=2');
    expect(api.rateLimitHeader("x", -1, 0n)).toBe('"x";r=0;t=0');
    expect(api.rateLimitHeader('a"b\\c', 0, 1n)).toBe('"a\\"b\\\\c";r=0;t=1');
  });

  it.each([
    [0n, "1"],
    [1n, "1"],
    [1_000_000_000n, "1"],
    [1_000_000_001n, "2"],
    [2n ** 63n - 1n, "9223372037"],
  ])("Retry-After for %s ns is %s s (rounded up, at least 1)", (ns, value) => {
    expect(api.retryAfter(ns)).toBe(value);
  });
});
