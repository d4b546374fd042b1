// Prometheus metrics of the RateLimitService, on the authz server's registry. Labels are bounded
// by the rules (domain and rule name come from config, never from request values; an unknown or
// invalid domain is counted as `_unknown`). Per-rule label children are resolved once per
// compiled rule, so a call costs no label hashing.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { DecisionSource, FallbackReason } from "./failover-store.ts";
import type { CallRecord } from "./ratelimit-service.ts";
import type { CompiledRule } from "./rules.ts";
import type { RulesLoad } from "./rules-source.ts";

export const UNKNOWN_DOMAIN_LABEL = "_unknown";

interface RuleChildren {
  ok: Counter.Internal;
  over: Counter.Internal;
  shadow: Counter.Internal;
  near: Counter.Internal;
  overflow: Counter.Internal;
}

export class RateLimitMetrics {
  private readonly calls: Counter<"domain" | "code">;
  private readonly descriptors: Counter<"domain" | "rule" | "result">;
  private readonly nearLimit: Counter<"domain" | "rule">;
  private readonly overflow: Counter<"domain" | "rule">;
  private readonly fallbacks: Counter<"domain" | "decided_by" | "reason">;
  /** Only with Redis: without it there is nothing to share or fall back from. */
  private readonly storeShared: Gauge | undefined;
  private readonly redisSeconds: Histogram | undefined;
  private readonly callSeconds: Histogram<"source">;
  private readonly ruleLoads: Counter<"result">;
  private readonly activeRules: Gauge;
  private readonly children = new WeakMap<CompiledRule, RuleChildren>();
  private readonly durationBySource = new Map<string, Histogram.Internal<"source">>();

  constructor(registry: Registry, options: { redis: boolean }) {
    const registers = [registry];
    this.calls = new Counter({
      name: "meshward_ratelimit_calls_total",
      help: "ShouldRateLimit calls by domain and answer (ok|over_limit, or an MW_RL_* code when refused).",
      labelNames: ["domain", "code"],
      registers,
    });
    this.descriptors = new Counter({
      name: "meshward_ratelimit_descriptors_total",
      help: "Limited descriptors by domain, rule and result (ok|over_limit|shadow_over_limit).",
      labelNames: ["domain", "rule", "result"],
      registers,
    });
    this.nearLimit = new Counter({
      name: "meshward_ratelimit_near_limit_total",
      help: "Descriptors admitted with less than a fifth of the rule's burst left.",
      labelNames: ["domain", "rule"],
      registers,
    });
    this.overflow = new Counter({
      name: "meshward_ratelimit_overflow_total",
      help: "Descriptors charged to the rule's overflow bucket (distinct values beyond max_values).",
      labelNames: ["domain", "rule"],
      registers,
    });
    this.fallbacks = new Counter({
      name: "meshward_ratelimit_fallbacks_total",
      help: "Calls decided without Redis, by domain, decided_by (local|deny) and reason (unavailable|timeout|error).",
      labelNames: ["domain", "decided_by", "reason"],
      registers,
    });
    if (options.redis) {
      this.storeShared = new Gauge({
        name: "meshward_ratelimit_store_shared",
        help: "1 while rate-limit buckets are decided on Redis, 0 while this replica decides alone.",
        // Several worker processes: shared only while every one of them is.
        aggregator: "min",
        registers,
      });
      this.redisSeconds = new Histogram({
        name: "meshward_ratelimit_redis_duration_seconds",
        help: "Time of the Redis script of one call, seconds.",
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05],
        registers,
      });
    }
    this.callSeconds = new Histogram({
      name: "meshward_ratelimit_call_duration_seconds",
      help: "Time from receiving a ShouldRateLimit call to its answer, by where it was decided.",
      labelNames: ["source"],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025],
      registers,
    });
    this.ruleLoads = new Counter({
      name: "meshward_ratelimit_rules_loads_total",
      help: "Rate-limit rules file reads by result (ok|unchanged|error).",
      labelNames: ["result"],
      registers,
    });
    this.activeRules = new Gauge({
      name: "meshward_ratelimit_rules_active",
      help: "Rate-limit rules (descriptors with a limit) in the active rules file.",
      registers,
    });
  }

  private childrenOf(rule: CompiledRule): RuleChildren {
    let c = this.children.get(rule);
    if (!c) {
      const labels = { domain: rule.domain, rule: rule.name };
      c = {
        ok: this.descriptors.labels({ ...labels, result: "ok" }),
        over: this.descriptors.labels({ ...labels, result: "over_limit" }),
        shadow: this.descriptors.labels({ ...labels, result: "shadow_over_limit" }),
        near: this.nearLimit.labels(labels),
        overflow: this.overflow.labels(labels),
      };
      this.children.set(rule, c);
    }
    return c;
  }

  observeCall = (record: CallRecord): void => {
    this.calls.inc({ domain: record.domain, code: record.overLimit ? "over_limit" : "ok" });
    this.callDuration(record.source, record.durationMs / 1000);
    for (const o of record.outcomes) {
      const c = this.childrenOf(o.rule);
      (o.result === "ok" ? c.ok : o.result === "over_limit" ? c.over : c.shadow).inc();
      if (o.nearLimit) c.near.inc();
      if (o.overflow) c.overflow.inc();
    }
  };

  observeRefusal = (domain: string | undefined, code: string): void => {
    this.calls.inc({ domain: domain ?? UNKNOWN_DOMAIN_LABEL, code });
  };

  private callDuration(source: DecisionSource | "none", seconds: number): void {
    let child = this.durationBySource.get(source);
    if (!child) {
      child = this.callSeconds.labels({ source });
      this.durationBySource.set(source, child);
    }
    child.observe(seconds);
  }

  fallback(domain: string, decidedBy: "local" | "deny", reason: FallbackReason): void {
    this.fallbacks.inc({ domain, decided_by: decidedBy, reason });
  }

  storeMode(mode: "shared" | "local"): void {
    this.storeShared?.set(mode === "shared" ? 1 : 0);
  }

  redisLatency(seconds: number): void {
    this.redisSeconds?.observe(seconds);
  }

  rulesLoad(load: RulesLoad): void {
    this.ruleLoads.inc({ result: load.result });
    if (load.result !== "error") this.activeRules.set(load.rules);
  }
}
