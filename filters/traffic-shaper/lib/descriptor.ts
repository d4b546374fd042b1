/**
 * Descriptor keys: which bucket of a rule a request draws from ("per subject", "per source IP",
 * …), and a bounded table of the keys in use so random values cannot exhaust memory.
 *
 * Key = `<rule>` + U+001F + `<value>` (U+001F cannot appear in a rule name or a header value Envoy
 * accepts, so keys never collide across rules). A request without the value (no subject header,
 * say) uses the empty value: all such requests share one bucket, which is the safe reading.
 *
 * Cardinality: at most `maxKeys` keys per table. A key idle for `idleNs` may be evicted (the glue
 * also clears its shared-data bucket, but only when `token-bucket.isIdleFull` says the bucket is
 * full anyway, so eviction never hands out tokens). When the table is full and nothing is idle,
 * the request is charged to the rule's single **overflow** key `<rule>` + U+001F + U+0000:
 * attackers spraying random values then share one bucket instead of each getting a fresh burst.
 */
import { deadlineNs, elapsedNs, laterNs } from "../../lib/time";
import { RequestAttributes } from "./request";

export const KEY_SEPARATOR = "\u001f";
export const OVERFLOW_VALUE = "\u0000";

export enum DescriptorKind {
  Global = 0,
  Subject = 1,
  Source = 2,
  Authority = 3,
  RiskLevel = 4,
  Header = 5,
}

export class Descriptor {
  constructor(
    public kind: DescriptorKind,
    /** Header name for `Header`, else "". */
    public header: string,
  ) {}

  /** The descriptor value of a request. */
  valueOf(req: RequestAttributes): string {
    switch (this.kind) {
      case DescriptorKind.Subject:
        return req.subject;
      case DescriptorKind.Source:
        return req.sourceText;
      case DescriptorKind.Authority:
        return req.authority;
      case DescriptorKind.RiskLevel:
        return req.riskLevel;
      case DescriptorKind.Header: {
        const v = req.header(this.header);
        return v === null ? "" : v;
      }
      default:
        return "";
    }
  }

  /** Config spelling: "global", "subject", "source", "authority", "riskLevel", "header:<name>". */
  toString(): string {
    switch (this.kind) {
      case DescriptorKind.Subject:
        return "subject";
      case DescriptorKind.Source:
        return "source";
      case DescriptorKind.Authority:
        return "authority";
      case DescriptorKind.RiskLevel:
        return "riskLevel";
      case DescriptorKind.Header:
        return "header:" + this.header;
      default:
        return "global";
    }
  }
}

/** Parses the config spelling; null if unknown. */
export function parseDescriptor(s: string): Descriptor | null {
  if (s == "global") return new Descriptor(DescriptorKind.Global, "");
  if (s == "subject") return new Descriptor(DescriptorKind.Subject, "");
  if (s == "source") return new Descriptor(DescriptorKind.Source, "");
  if (s == "authority") return new Descriptor(DescriptorKind.Authority, "");
  if (s == "riskLevel") return new Descriptor(DescriptorKind.RiskLevel, "");
  if (s.startsWith("header:") && s.length > 7) return new Descriptor(DescriptorKind.Header, s.substring(7));
  return null;
}

export function descriptorKey(rule: string, value: string): string {
  return rule + KEY_SEPARATOR + value;
}

/** Idle keys evicted per scan: amortises one O(n) scan over many insertions. */
export const EVICTION_BATCH: i32 = 64;
/** Evicted keys kept for the glue to drain; beyond this they are dropped (and counted). */
export const MAX_PENDING_EVICTIONS: i32 = 4096;

/**
 * Bounded set of keys in use, with last-use times.
 *
 * Cost under attack: when the table is full, finding idle keys is an O(n) scan. A scan evicts
 * up to `EVICTION_BATCH` idle keys, and one that finds none records when the oldest key could
 * first become idle (`oldest + idleNs`; last-use times only grow), so no scan repeats before
 * then. A flood of new values while nothing is idle costs one scan, not one per request.
 */
export class DescriptorTable {
  private lastUse: Map<string, i64> = new Map<string, i64>();
  private nextScanNs: i64 = i64.MIN_VALUE;
  /** Keys evicted and not yet drained by `takeEvicted` (the glue clears their shared buckets). */
  private evictedKeys: Array<string> = new Array<string>();
  overflowed: i64 = 0;
  evicted: i64 = 0;
  droppedEvictions: i64 = 0;
  scans: i64 = 0;

  constructor(
    public maxKeys: i32,
    public idleNs: i64,
  ) {}

  size(): i32 {
    return this.lastUse.size;
  }

  /**
   * The key to charge for (`rule`, `value`) at `nowNs`: the key itself when known or when there is
   * room (after evicting idle keys), else the rule's overflow key (not recorded in the table).
   */
  resolve(rule: string, value: string, nowNs: i64): string {
    const key = descriptorKey(rule, value);
    if (this.lastUse.has(key)) {
      this.lastUse.set(key, laterNs(this.lastUse.get(key), nowNs));
      return key;
    }
    if (this.lastUse.size >= this.maxKeys && nowNs >= this.nextScanNs) this.evictIdle(nowNs);
    if (this.lastUse.size >= this.maxKeys) {
      this.overflowed++;
      return descriptorKey(rule, OVERFLOW_VALUE);
    }
    this.lastUse.set(key, nowNs);
    return key;
  }

  /** Evicts up to `EVICTION_BATCH` keys idle for ≥ `idleNs`; returns how many. */
  evictIdle(nowNs: i64): i32 {
    this.scans++;
    const keys = this.lastUse.keys();
    const victims = new Array<string>();
    let oldestKept: i64 = i64.MAX_VALUE;
    for (let i = 0; i < keys.length; i++) {
      const t = this.lastUse.get(keys[i]);
      if (victims.length < EVICTION_BATCH && elapsedNs(nowNs, t) >= this.idleNs) victims.push(keys[i]);
      else if (t < oldestKept) oldestKept = t;
    }
    for (let i = 0; i < victims.length; i++) {
      this.lastUse.delete(victims[i]);
      if (this.evictedKeys.length < MAX_PENDING_EVICTIONS) this.evictedKeys.push(victims[i]);
      else this.droppedEvictions++;
    }
    this.evicted += victims.length;
    // Nothing kept can be idle before oldestKept + idleNs.
    this.nextScanNs = deadlineNs(oldestKept, this.idleNs);
    return victims.length;
  }

  /** Hands the evicted keys to the glue (which clears their buckets if `isIdleFull`) and forgets them. */
  takeEvicted(): Array<string> {
    const out = this.evictedKeys;
    this.evictedKeys = new Array<string>();
    return out;
  }
}
