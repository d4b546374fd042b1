// What a rate-limit store decides: one request's descriptors, all at once. Every store applies the
// same rule (memory-store.ts in TypeScript, redis-script.ts in Lua):
//
// - the request is admitted iff every enforced charge has capacity (gcra.ts);
// - only an admitted request is charged, and then on every descriptor that had capacity (shadow
//   ones included), so a request refused by one limit costs nothing on the others and a shadow
//   limit counts what it would have admitted had it been enforced;
// - two charges on the same bucket in one request are applied one after the other;
// - a per-value rule keeps at most `maxValues` live buckets (a bucket is live until it is full
//   again); a new value beyond that is charged to the rule's one overflow bucket, so a flood of
//   distinct values cannot mint fresh bursts nor grow memory.
import type { GcraLimit } from "./gcra.ts";
import type { CompiledRule } from "./rules.ts";

export interface Charge {
  readonly rule: CompiledRule;
  /** The rule's limit, or a request's override, or the local fallback's share of it. */
  readonly limit: GcraLimit;
  /** Bucket identity within the domain (rules.ts `matchDescriptor`). */
  readonly bucket: string;
  /** hits_addend (≥ 1). */
  readonly cost: number;
  /** false for shadow-mode rules: evaluated and charged, never refusing. */
  readonly enforce: boolean;
}

export interface ChargeResult {
  /** This descriptor had capacity (for an enforced one: it did not refuse the request). */
  readonly admitted: boolean;
  /** Whole requests still admitted now (after this request's charge, if it was charged). */
  readonly remaining: number;
  /** µs until the bucket is full again. */
  readonly resetUs: number;
  /** µs until this descriptor would admit the request; 0 when it did. */
  readonly retryUs: number;
  /** The value was beyond the rule's cap and used the overflow bucket. */
  readonly overflow: boolean;
}

export interface RateStore {
  /** Decides one request's charges (non-empty, all of one domain) as described above. */
  charge(domain: string, charges: readonly Charge[]): Promise<ChargeResult[]>;
  close(): Promise<void>;
}
