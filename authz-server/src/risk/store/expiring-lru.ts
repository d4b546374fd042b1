// A map with a size bound (least recently used evicted first) and a time-to-live per entry, for the
// in-memory risk state. Memory stays bounded by `maxEntries` whatever the traffic; idle entries also
// go away by TTL. Time is passed in (ms), never read here.
//
// A JS Map iterates in insertion order, so re-inserting an entry makes it the most recent. To keep
// the hot path cheap, an entry is moved at most once per `REORDER_MS` (1 s): recency is tracked
// with one-second resolution, which is ample for an eviction order. Each insertion of a new key
// also drops up to two expired entries from the front (amortised sweeping).

interface Slot<V> {
  value: V;
  expiresAtMs: number;
  movedAtMs: number;
}

const REORDER_MS = 1000;

export class ExpiringLru<K, V> {
  private readonly slots = new Map<K, Slot<V>>();

  constructor(private readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new Error(`ExpiringLru: maxEntries must be ≥ 1, got ${maxEntries}`);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The live value (and marks it recently used), or undefined when absent or expired. */
  get(key: K, nowMs: number): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAtMs <= nowMs) {
      this.slots.delete(key);
      return undefined;
    }
    if (nowMs - slot.movedAtMs >= REORDER_MS) {
      this.slots.delete(key);
      this.slots.set(key, slot);
      slot.movedAtMs = nowMs;
    }
    return slot.value;
  }

  /**
   * Stores `value` until `nowMs + ttlMs` (an existing entry's expiry is never shortened), evicting
   * the least recently used entries beyond the bound.
   */
  set(key: K, value: V, nowMs: number, ttlMs: number): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      slot.value = value;
      slot.expiresAtMs = Math.max(slot.expiresAtMs, nowMs + ttlMs);
      if (nowMs - slot.movedAtMs >= REORDER_MS) {
        this.slots.delete(key);
        this.slots.set(key, slot);
        slot.movedAtMs = nowMs;
      }
      return;
    }
    this.slots.set(key, { value, expiresAtMs: nowMs + ttlMs, movedAtMs: nowMs });
    for (let i = 0; i < 2; i++) {
      const first = this.slots.entries().next();
      if (first.done || first.value[1].expiresAtMs > nowMs) break;
      this.slots.delete(first.value[0]);
    }
    while (this.slots.size > this.maxEntries) this.slots.delete(this.slots.keys().next().value as K);
  }

  delete(key: K): void {
    this.slots.delete(key);
  }

  clear(): void {
    this.slots.clear();
  }
}
