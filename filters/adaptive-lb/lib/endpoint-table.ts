/**
 * The set of known endpoints of one cluster, bounded in size and self-cleaning.
 *
 * Endpoints are learned from `upstream.address` on responses (plus a static list from config).
 * Learned ones expire after `ttlNs` without being seen and with nothing in flight; Envoy skips
 * override hosts that left the cluster, so stale knowledge is harmless, only wasteful. The table
 * holds at most `capacity` endpoints: when full, a new address evicts the least recently seen
 * learned endpoint that has nothing in flight; if there is none, the new address is refused
 * (`learn` returns −1) — bounded memory wins over completeness.
 *
 * Slots are stable indices (a slot is reused after removal), so callers may hold an index while a
 * request is in flight and look it up again by address when it completes.
 */
import { elapsedNs } from "../../lib/time";
import { Endpoint } from "./endpoint";

export class EndpointTable {
  slots: Array<Endpoint | null> = new Array<Endpoint | null>();
  private byAddress: Map<string, i32> = new Map<string, i32>();
  private free: Array<i32> = new Array<i32>();
  refused: i64 = 0;
  evicted: i64 = 0;
  expired: i64 = 0;

  constructor(
    public capacity: i32,
    public ttlNs: i64,
  ) {}

  size(): i32 {
    return this.byAddress.size;
  }

  /** Slot of `address`, or −1. */
  find(address: string): i32 {
    return this.byAddress.has(address) ? this.byAddress.get(address) : -1;
  }

  at(slot: i32): Endpoint | null {
    return slot >= 0 && slot < this.slots.length ? this.slots[slot] : null;
  }

  /** Inserts a new endpoint (the caller checked it is absent); returns its slot or −1 if full. */
  insert(endpoint: Endpoint): i32 {
    if (this.byAddress.size >= this.capacity && !this.evictOne()) {
      this.refused++;
      return -1;
    }
    let slot: i32;
    if (this.free.length > 0) {
      slot = this.free.pop();
      this.slots[slot] = endpoint;
    } else {
      slot = this.slots.length;
      this.slots.push(endpoint);
    }
    this.byAddress.set(endpoint.address, slot);
    return slot;
  }

  remove(slot: i32): void {
    const e = this.at(slot);
    if (e === null) return;
    this.byAddress.delete(e.address);
    this.slots[slot] = null;
    this.free.push(slot);
  }

  /** Removes learned endpoints unseen for `ttlNs` with nothing in flight. */
  expire(nowNs: i64): void {
    for (let i = 0; i < this.slots.length; i++) {
      const e = this.slots[i];
      if (e === null || e.isStatic || e.pending > 0) continue;
      if (elapsedNs(nowNs, e.lastSeenNs) > this.ttlNs) {
        this.remove(i);
        this.expired++;
      }
    }
  }

  private evictOne(): bool {
    let victim = -1;
    let oldest: i64 = i64.MAX_VALUE;
    for (let i = 0; i < this.slots.length; i++) {
      const e = this.slots[i];
      if (e === null || e.isStatic || e.pending > 0) continue;
      if (e.lastSeenNs < oldest) {
        oldest = e.lastSeenNs;
        victim = i;
      }
    }
    if (victim < 0) return false;
    this.remove(victim);
    this.evicted++;
    return true;
  }
}
