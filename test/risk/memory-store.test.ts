import { describe, expect, it } from "vitest";
import { ExpiringLru } from "../../authz-server/src/risk/store/expiring-lru.ts";
import { MemoryStore } from "../../authz-server/src/risk/store/memory-store.ts";
import { LIMITS, obs, T0 } from "./fixtures.ts";

describe("ExpiringLru", () => {
  it("evicts the least recently used beyond the bound and expires by TTL", () => {
    const lru = new ExpiringLru<string, number>(2);
    lru.set("a", 1, 0, 10_000);
    lru.set("b", 2, 0, 10_000);
    expect(lru.get("a", 1000)).toBe(1); // a is now the most recent
    lru.set("c", 3, 1000, 10_000);
    expect([lru.get("a", 1500), lru.get("b", 1500), lru.get("c", 1500)]).toEqual([1, undefined, 3]);
    expect(lru.get("a", 10_000)).toBeUndefined(); // expired at 0 + 10 s
    expect(lru.size).toBe(1);
  });
  it("tracks recency with one-second resolution (no reordering within a second)", () => {
    const lru = new ExpiringLru<string, number>(2);
    lru.set("x", 1, 0, 10_000);
    lru.set("y", 2, 0, 10_000);
    lru.get("x", 999);
    lru.set("z", 3, 999, 10_000);
    expect([lru.get("x", 999), lru.get("y", 999)]).toEqual([undefined, 2]);
  });
  it("updating an entry extends its TTL", () => {
    const lru = new ExpiringLru<string, number>(5);
    lru.set("k", 1, 0, 100);
    lru.set("k", 2, 50, 100);
    expect(lru.get("k", 149)).toBe(2);
    expect(lru.get("k", 150)).toBeUndefined();
  });
});

describe("MemoryStore", () => {
  it("counts failures in exact sliding windows, capped per key", async () => {
    const s = new MemoryStore(LIMITS);
    for (let i = 0; i < 3; i++) await s.recordFailure("alice", "192.0.2.1", T0 + i * 20_000);
    // principal window 60 s: at T0+60s the failure at T0 has left (window is (now − 60 s, now])
    expect((await s.observe(obs(T0 + 59_999))).principalFailures).toBe(3);
    expect((await s.observe(obs(T0 + 60_000))).principalFailures).toBe(2);
    expect((await s.observe(obs(T0 + 60_000))).ipFailures).toBe(3);
    for (let i = 0; i < 10; i++) await s.recordFailure("bob", null, T0 + 100_000 + i);
    expect((await s.observe(obs(T0 + 100_010, { principal: "bob" }))).principalFailures).toBe(5);
  });

  it("keeps rate buckets for the history only, current bucket included", async () => {
    const s = new MemoryStore(LIMITS);
    await s.observe(obs(T0));
    await s.observe(obs(T0 + 1));
    await s.observe(obs(T0 + 10_000));
    const snap = await s.observe(obs(T0 + 50_000));
    const b0 = Math.floor(T0 / 10_000);
    // history 3 → buckets b0+2..b0+4 kept; b0 and b0+1 dropped
    expect([...snap.rateBuckets]).toEqual([[b0 + 5, 1]]);
    expect([...(await s.observe(obs(T0 + 60_000))).rateBuckets]).toEqual([
      [b0 + 5, 1],
      [b0 + 6, 1],
    ]);
  });

  it("remembers devices (bounded), the last location and the hour histogram", async () => {
    const s = new MemoryStore(LIMITS);
    const paris = { lat: 48.8, lon: 2.3, country: "FR" };
    const first = await s.observe(obs(T0, { fingerprint: "f1", location: paris, hour: 12 }));
    expect(first).toMatchObject({ fingerprintKnown: false, knownFingerprints: 0, lastLocation: null });
    const again = await s.observe(obs(T0 + 1, { fingerprint: "f1", hour: 12 }));
    expect(again).toMatchObject({ fingerprintKnown: true, knownFingerprints: 1, lastLocation: { ...paris, atMs: T0 } });
    expect(again.hours[12]).toBe(2); // this request included
    await s.observe(obs(T0 + 2, { fingerprint: "f2" }));
    await s.observe(obs(T0 + 3, { fingerprint: "f3" })); // evicts f1 (least recently seen)
    expect((await s.observe(obs(T0 + 4, { fingerprint: "f1" }))).fingerprintKnown).toBe(false);
  });

  it("applies events per target and forgets them after the event TTL", async () => {
    const s = new MemoryStore(LIMITS);
    await s.applyEvent({ kind: "subject", id: "alice" }, { revokedAtMs: T0 }, T0);
    await s.applyEvent({ kind: "token", id: "j1" }, { riskLevel: "high", riskLevelUntilMs: T0 + 5 }, T0);
    const snap = await s.observe(obs(T0 + 1, { token: "j1", session: "s9" }));
    expect(snap).toMatchObject({
      subjectEvents: { revokedAtMs: T0 },
      tokenEvents: { riskLevel: "high" },
      sessionEvents: null,
    });
    expect((await s.observe(obs(T0 + 600_000))).subjectEvents).toBeNull();
  });

  it("bounds memory: principals beyond maxEntries are evicted", async () => {
    const s = new MemoryStore(LIMITS, 3);
    for (const p of ["a", "b", "c", "d"]) await s.observe(obs(T0, { principal: p, fingerprint: "f" }));
    expect((await s.observe(obs(T0, { principal: "a", fingerprint: "f" }))).fingerprintKnown).toBe(false);
    expect((await s.observe(obs(T0, { principal: "d", fingerprint: "f" }))).fingerprintKnown).toBe(true);
  });
});
