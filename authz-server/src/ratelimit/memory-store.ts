// Rate-limit buckets in this process's memory: the store of a single replica (dev) and the local
// fallback while Redis is unavailable. Same decisions as the Redis script (store.ts), clock
// injected (µs since RATE_EPOCH). Memory is bounded: per-value rules keep at most `maxValues`
// live buckets each; a bucket that is full again is equivalent to none and is dropped when seen.
import { gcra, remainingAt } from "./gcra.ts";
import type { Charge, ChargeResult, RateStore } from "./store.ts";

/** One rule's buckets: TAT by bucket identity, in order of last update (oldest first). */
interface RuleBuckets {
  readonly tats: Map<string, number>;
  overflowTat: number;
}

interface Planned {
  buckets: RuleBuckets;
  /** Bucket identity, or null for the rule's overflow bucket. */
  bucket: string | null;
  tat: number;
  next: number;
}

export class MemoryRateStore implements RateStore {
  private readonly rules = new Map<string, RuleBuckets>();

  /** `clock`: µs since RATE_EPOCH (gcra.ts `epochUs`). */
  constructor(readonly clock: () => number) {}

  charge(domain: string, charges: readonly Charge[]): Promise<ChargeResult[]> {
    return Promise.resolve(this.chargeNow(domain, charges, this.clock()));
  }

  /** Synchronous `charge` at a given instant (tests, and the fallback path). */
  chargeNow(domain: string, charges: readonly Charge[], now: number): ChargeResult[] {
    const planned: Planned[] = [];
    const outcomes = [];
    // Charges on a bucket already planned in this request see the planned TAT.
    const pending = new Map<RuleBuckets, Map<string | null, number>>();
    let admitted = true;
    for (const charge of charges) {
      const buckets = this.bucketsOf(domain, charge);
      const bucket = this.slot(buckets, charge, now, pending);
      const stored =
        pending.get(buckets)?.get(bucket) ?? (bucket === null ? buckets.overflowTat : (buckets.tats.get(bucket) ?? 0));
      const outcome = gcra(charge.limit, stored, now, charge.cost);
      if (!outcome.admitted && charge.enforce) admitted = false;
      const tat = Math.max(stored, now);
      const next = outcome.admitted ? outcome.tatUs : tat;
      let perBucket = pending.get(buckets);
      if (!perBucket) {
        perBucket = new Map();
        pending.set(buckets, perBucket);
      }
      perBucket.set(bucket, next);
      planned.push({ buckets, bucket, tat, next });
      outcomes.push(outcome);
    }
    const results: ChargeResult[] = [];
    for (let i = 0; i < charges.length; i++) {
      const charge = charges[i] as Charge;
      const plan = planned[i] as Planned;
      const outcome = outcomes[i] as ReturnType<typeof gcra>;
      const charged = admitted && outcome.admitted;
      if (charged) this.store(plan, now);
      const after = charged ? plan.next : plan.tat;
      results.push({
        admitted: outcome.admitted,
        remaining: remainingAt(charge.limit, after, now),
        // Whole µs, rounded up, as the Redis script replies.
        resetUs: Math.ceil(after - now),
        retryUs: Math.ceil(outcome.retryUs),
        overflow: plan.bucket === null,
      });
    }
    return results;
  }

  /** Drops the state of rules that are no longer configured (after a reload). */
  retain(ruleKeys: ReadonlySet<string>): void {
    for (const key of this.rules.keys()) if (!ruleKeys.has(key)) this.rules.delete(key);
  }

  /** Live buckets of one rule (tests: the cardinality cap). */
  size(domain: string, ruleId: string): number {
    return this.rules.get(ruleKey(domain, ruleId))?.tats.size ?? 0;
  }

  private bucketsOf(domain: string, charge: Charge): RuleBuckets {
    const key = ruleKey(domain, charge.rule.id);
    let buckets = this.rules.get(key);
    if (!buckets) {
      buckets = { tats: new Map(), overflowTat: 0 };
      this.rules.set(key, buckets);
    }
    return buckets;
  }

  /** The bucket a charge uses: its own, or null (overflow) for a new value past the rule's cap. */
  private slot(
    buckets: RuleBuckets,
    charge: Charge,
    now: number,
    pending: Map<RuleBuckets, Map<string | null, number>>,
  ): string | null {
    const { tats } = buckets;
    if (!charge.rule.perValue || tats.has(charge.bucket) || pending.get(buckets)?.has(charge.bucket))
      return charge.bucket;
    if (tats.size < charge.rule.maxValues) return charge.bucket;
    // Oldest updates first: drop buckets that are full again (equivalent to absent).
    for (const [bucket, tat] of tats) {
      if (tat > now) break;
      tats.delete(bucket);
    }
    return tats.size < charge.rule.maxValues ? charge.bucket : null;
  }

  private store(plan: Planned, now: number): void {
    if (plan.bucket === null) {
      plan.buckets.overflowTat = plan.next;
      return;
    }
    const tats = plan.buckets.tats;
    tats.delete(plan.bucket); // re-inserted last: the map stays ordered by last update
    if (plan.next > now) tats.set(plan.bucket, plan.next);
  }

  async close(): Promise<void> {
    this.rules.clear();
  }
}

export function ruleKey(domain: string, ruleId: string): string {
  return `${domain}\u0000${ruleId}`;
}
