// A map with a size bound (least recently used evicted first) and a time-to-live per entry, for the
// in-memory risk state. Memory stays bounded by `maxEntries` whatever the traffic; idle entries also
// go away by TTL. Time is passed in (ms), never read here.
//
// A JS Map iterates in insertion order, so re-inserting on access keeps the least recently used entry
// first. Each write also drops up to two expired entries from the front (amortised sweeping).

interface Slot<V> {
  value: V;
  expiresAtMs: number;
}

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
    this.slots.delete(key);
    if (slot.expiresAtMs <= nowMs) return undefined;
    this.slots.set(key, slot);
    return slot.value;
  }

  /** Stores `value` until `nowMs + ttlMs`, evicting the least recently used entries beyond the bound. */
  set(key: K, value: V, nowMs: number, ttlMs: number): void {
    this.slots.delete(key);
    this.slots.set(key, { value, expiresAtMs: nowMs + ttlMs });
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
