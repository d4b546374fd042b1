/**
 * Glue: runs a request through every rate-limit rule it matches and decides.
 *
 * Rules are checked in config order; each matching rule takes one token from its bucket (shared
 * across workers, `shared-bucket.ts`). The first ENFORCED rule without a token limits the request
 * (later rules are not charged); a SHADOW rule without a token is only counted. Tokens taken by
 * earlier rules of a request that a later rule limits stay taken (as with Envoy's descriptors).
 *
 * Shared-data failure → `failureMode`: `deny` limits the request (Retry-After 1, no RateLimit
 * state, since there is none), `allow` lets it pass, `local` decides on a per-worker bucket.
 * Failures are counted and logged (the first, then every 1000th, so a broken store cannot flood
 * the log).
 */
import { logWarn } from "../sdk";
import { TrafficShaperConfig } from "./lib/config";
import { DescriptorTable, KEY_SEPARATOR } from "./lib/descriptor";
import { RequestAttributes } from "./lib/request";
import { matchRules, RuleHit } from "./lib/rules";
import { TakeResult } from "./lib/token-bucket";
import { SharedBuckets } from "./shared-bucket";
import { ShaperMetrics } from "./shaper-metrics";

/** `RateDecision.result` until a rule sets one; never modified. */
const NO_TAKE = new TakeResult();

/** The outcome for one request; `rule` −1 when no rule matched. */
export class RateDecision {
  limited: bool = false;
  /** Rule whose state goes into the RateLimit headers (the limiting one, else the tightest). */
  rule: i32 = -1;
  result: TakeResult = NO_TAKE;
  /** Limited because shared data failed under failureMode deny (no bucket state to report). */
  failedClosed: bool = false;
}

export class RateLimits {
  table: DescriptorTable;
  buckets: SharedBuckets;
  private ruleIndex: Map<string, i32> = new Map<string, i32>();
  /** The current request's rule hits, reused request after request (`decide` only). */
  private hits: Array<RuleHit> = new Array<RuleHit>();
  /** `table.evicted` when last drained: skip the drain (and its allocation) when nothing new. */
  private drainedAt: i64 = 0;

  constructor(
    public config: TrafficShaperConfig,
    public metrics: ShaperMetrics,
  ) {
    this.table = new DescriptorTable(config.maxDescriptorKeys, config.descriptorIdleMs * 1_000_000);
    this.buckets = new SharedBuckets(config.casRetries);
    for (let i = 0; i < config.rules.length; i++) this.ruleIndex.set(config.rules[i].name, i);
  }

  /** Creates the buckets of global rules before traffic (closes Envoy's missing-key race for them). */
  seedGlobalBuckets(): void {
    for (let i = 0; i < this.config.rules.length; i++) {
      const r = this.config.rules[i];
      if (r.descriptor.kind == 0) this.buckets.seed(r.name + KEY_SEPARATOR);
    }
  }

  decide(req: RequestAttributes, nowNs: i64): RateDecision {
    const d = new RateDecision();
    const rules = this.config.rules;
    if (rules.length == 0) return d;
    const hits = matchRules(rules, req, this.table, nowNs, this.hits);
    this.clearEvicted(nowNs);
    for (let i = 0; i < hits.length; i++) {
      const rule = rules[hits[i].rule];
      const m = this.metrics.rules[hits[i].rule];
      const refill = rule.refillPerNs();
      let result: TakeResult;
      const shared = this.buckets.takeShared(hits[i].key, nowNs, 1, rule.burst, refill);
      if (!shared.failed) result = shared.result;
      else {
        this.reportFailure(rule.name, shared.error);
        if (this.config.failureMode == "local")
          result = this.buckets.takeLocal(hits[i].key, nowNs, 1, rule.burst, refill);
        else if (this.config.failureMode == "allow") {
          m.allowed.increment(1);
          continue;
        } else {
          result = new TakeResult();
          result.retryAfterNs = 1_000_000_000;
          d.failedClosed = true;
        }
      }
      if (result.allowed) {
        m.allowed.increment(1);
        if (d.rule < 0 || result.remaining < d.result.remaining) {
          d.rule = hits[i].rule;
          d.result = result;
        }
      } else if (rule.shadow) {
        m.shadowLimited.increment(1);
      } else {
        m.limited.increment(1);
        d.limited = true;
        d.rule = hits[i].rule;
        d.result = result;
        return d;
      }
    }
    return d;
  }

  private clearEvicted(nowNs: i64): void {
    if (this.table.evicted == this.drainedAt) return;
    this.drainedAt = this.table.evicted;
    const keys = this.table.takeEvicted();
    for (let i = 0; i < keys.length; i++) {
      const sep = keys[i].indexOf(KEY_SEPARATOR);
      const name = sep < 0 ? keys[i] : keys[i].substring(0, sep);
      if (!this.ruleIndex.has(name)) continue;
      const rule = this.config.rules[this.ruleIndex.get(name)];
      this.buckets.evict(keys[i], nowNs, rule.burst, rule.refillPerNs());
    }
  }

  private reportFailure(rule: string, error: string): void {
    this.metrics.sharedDataFailures.increment(1);
    const n = this.buckets.failures;
    if (n == 1 || n % 1000 == 0) {
      logWarn(
        "traffic-shaper: rule " +
          rule +
          ": shared data failed (" +
          error +
          "), failureMode " +
          this.config.failureMode +
          "; failures so far " +
          n.toString(),
      );
    }
  }
}
