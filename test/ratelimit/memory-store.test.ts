// The in-memory store: the shared store cases, plus its own memory bound.
import { describe, expect, it } from "vitest";
import { MemoryRateStore, ruleKey } from "../../authz-server/src/ratelimit/memory-store.ts";
import { T0_US } from "./fixtures.ts";
import { charge, STORE_CASES, withClock } from "./store-cases.ts";

function memory() {
  const s = withClock((clock) => new MemoryRateStore(clock));
  return { ...s, store: s.store as MemoryRateStore };
}

describe("MemoryRateStore", () => {
  for (const [name, run] of Object.entries(STORE_CASES)) it(name, () => run(memory()));

  it("holds at most max_values buckets of a rule under a flood of distinct values", async () => {
    const { store, setNow } = memory();
    for (let i = 0; i < 10_000; i++) {
      setNow(T0_US + i * 10);
      await store.charge("mesh", [charge("per-subject", `subject=flood-${i}`)]);
    }
    expect(store.size("mesh", "subject")).toBe(3);
  });

  it("forgets rules that are no longer configured", async () => {
    const { store, setNow } = memory();
    setNow(T0_US);
    await store.charge("mesh", [charge("per-subject", "subject=a")]);
    store.retain(new Set([ruleKey("mesh", "generic_key=global")]));
    expect(store.size("mesh", "subject")).toBe(0);
  });
});
