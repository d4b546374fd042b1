// One set of store behaviours (store.ts) run against every store: in memory (memory-store.test.ts)
// and on a real Redis (redis-store.test.ts), with the same clock readings, so the Lua script and
// the TypeScript agree decision for decision.
import { expect } from "vitest";
import type { CompiledRule } from "../../authz-server/src/ratelimit/rules.ts";
import type { Charge, ChargeResult, RateStore } from "../../authz-server/src/ratelimit/store.ts";
import { meshDomain, T0_US } from "./fixtures.ts";

export interface StoreUnderTest {
  store: RateStore;
  /** Sets the instant the store decides at (µs since RATE_EPOCH). */
  setNow(us: number): void;
}

/** A store made on a clock the test sets. */
export function withClock(make: (clock: () => number) => RateStore): StoreUnderTest {
  let now = 0;
  return {
    store: make(() => now),
    setNow: (us) => {
      now = us;
    },
  };
}

const mesh = meshDomain();

function rule(name: string): CompiledRule {
  const r = mesh.rules.find((x) => x.name === name);
  if (!r?.limit) throw new Error(`no limited rule ${name}`);
  return r;
}

export function charge(name: string, bucket: string, options: { cost?: number; enforce?: boolean } = {}): Charge {
  const r = rule(name);
  return {
    rule: r,
    limit: r.limit as NonNullable<CompiledRule["limit"]>,
    bucket,
    cost: options.cost ?? 1,
    enforce: options.enforce ?? !r.shadow,
  };
}

type Case = (s: StoreUnderTest) => Promise<void>;

const admitted = (results: ChargeResult[]) => results.map((r) => r.admitted);

export const STORE_CASES: Record<string, Case> = {
  async "admits the burst, then refuses until an interval has passed"({ store, setNow }) {
    setNow(T0_US);
    const subject = () => store.charge("mesh", [charge("per-subject", "subject=alice")]);
    for (let i = 9; i >= 0; i--) expect((await subject())[0]).toMatchObject({ admitted: true, remaining: i });
    expect((await subject())[0]).toEqual({
      admitted: false,
      remaining: 0,
      resetUs: 1_000_000,
      retryUs: 100_000,
      overflow: false,
    });
    setNow(T0_US + 100_000);
    expect((await subject())[0]).toMatchObject({ admitted: true, remaining: 0, resetUs: 1_000_000 });
    // Full again after burst/rate = 1 s of quiet: the key expired, the answer is a fresh bucket's.
    setNow(T0_US + 1_200_000);
    expect((await subject())[0]).toMatchObject({ admitted: true, remaining: 9, resetUs: 100_000 });
  },

  async "charges nothing when one enforced limit refuses"({ store, setNow }) {
    setNow(T0_US);
    const both = () =>
      store.charge("mesh", [charge("global", "generic_key=global"), charge("per-subject", "subject=bob")]);
    for (let i = 0; i < 10; i++) expect(admitted(await both())).toEqual([true, true]);
    const refused = await both();
    expect(admitted(refused)).toEqual([true, false]);
    // global kept its 40 (50 − 10): the refused request cost it nothing.
    expect(refused[0]?.remaining).toBe(40);
    expect((await store.charge("mesh", [charge("global", "generic_key=global")]))[0]?.remaining).toBe(39);
  },

  async "a shadow limit counts what it would refuse without refusing, and is charged only when it fits"({
    store,
    setNow,
  }) {
    setNow(T0_US);
    const call = () => store.charge("mesh", [charge("canary", "canary=x"), charge("global", "generic_key=global")]);
    expect(admitted(await call())).toEqual([true, true]);
    expect(admitted(await call())).toEqual([true, true]);
    const third = await call();
    expect(admitted(third)).toEqual([false, true]);
    expect(third[1]?.remaining).toBe(47);
    expect(third[0]?.retryUs).toBe(500_000);
  },

  async "two charges on one bucket in one request are applied one after the other"({ store, setNow }) {
    setNow(T0_US);
    const twice = await store.charge("mesh", [
      charge("per-subject", "subject=carol", { cost: 4 }),
      charge("per-subject", "subject=carol", { cost: 4 }),
    ]);
    expect(twice.map((r) => r.remaining)).toEqual([6, 2]);
    const third = await store.charge("mesh", [charge("per-subject", "subject=carol", { cost: 4 })]);
    expect(third[0]).toMatchObject({ admitted: false, remaining: 2 });
  },

  async "keeps at most max_values buckets per rule and charges new values to one overflow bucket"({ store, setNow }) {
    setNow(T0_US);
    for (const who of ["a", "b", "c"]) {
      expect((await store.charge("mesh", [charge("per-subject", `subject=${who}`)]))[0]).toMatchObject({
        admitted: true,
        remaining: 9,
        overflow: false,
      });
    }
    // d and e share the overflow bucket (burst 10): 5 each, then refused.
    for (let i = 0; i < 5; i++) {
      for (const who of ["d", "e"]) {
        const [r] = await store.charge("mesh", [charge("per-subject", `subject=${who}`)]);
        expect(r).toMatchObject({ admitted: true, overflow: true });
      }
    }
    expect((await store.charge("mesh", [charge("per-subject", "subject=f")]))[0]).toMatchObject({
      admitted: false,
      overflow: true,
    });
    // Known values keep their own buckets.
    expect((await store.charge("mesh", [charge("per-subject", "subject=a")]))[0]).toMatchObject({
      admitted: true,
      remaining: 8,
      overflow: false,
    });
    // Once a's, b's and c's buckets are full again they no longer count: g gets its own.
    setNow(T0_US + 1_000_000);
    expect((await store.charge("mesh", [charge("per-subject", "subject=g")]))[0]).toMatchObject({
      admitted: true,
      remaining: 9,
      overflow: false,
    });
  },

  async "rules with exact values are not capped"({ store, setNow }) {
    setNow(T0_US);
    for (let i = 0; i < 5; i++) {
      const [r] = await store.charge("mesh", [charge("batch", "subject=svc-batch")]);
      expect(r).toMatchObject({ admitted: true, overflow: false, remaining: 4 - i });
    }
    expect((await store.charge("mesh", [charge("batch", "subject=svc-batch")]))[0]?.retryUs).toBe(100_000);
  },

  async "domains and buckets are independent"({ store, setNow }) {
    setNow(T0_US);
    const [other] = await store.charge("other", [charge("per-subject", "subject=a", { cost: 10 })]);
    expect(other).toMatchObject({ admitted: true, remaining: 0 });
    const [mine] = await store.charge("mesh", [charge("per-subject", "subject=a")]);
    expect(mine).toMatchObject({ admitted: true, remaining: 9 });
  },
};
