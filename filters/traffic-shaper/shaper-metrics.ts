/**
 * Glue: the filter's Envoy metrics, defined once per worker at configure time (defining the same
 * name on every worker maps to one Envoy stat, so counters add up across workers).
 *
 * Names (Envoy /stats shows them as is; Prometheus as `meshward_traffic_shaper_…` with `.`/`-`
 * turned into `_`):
 * - `meshward.traffic_shaper.rule.<rule>.allowed|limited|shadow_limited` (counters)
 * - `meshward.traffic_shaper.class.<class>.admitted|shed` (counters; class `default` without classes)
 * - `meshward.traffic_shaper.shared_data_failures` (counter)
 * - `meshward.traffic_shaper.in_flight` (gauge, ±1 per stream from every worker: exact total)
 * - `meshward.traffic_shaper.concurrency_limit` (gauge, set by each worker's controller: the last
 *   worker to update it wins, since Envoy gauges are shared)
 */
import { Metric } from "../sdk";
import { TrafficShaperConfig } from "./lib/config";

const PREFIX = "meshward.traffic_shaper.";

/** `meshward.traffic_shaper.<group>.<name>.<what>` */
function counterOf(group: string, name: string, what: string): Metric {
  return Metric.counter(PREFIX + group + "." + name + "." + what);
}

export class RuleMetrics {
  allowed: Metric;
  limited: Metric;
  shadowLimited: Metric;

  constructor(rule: string) {
    this.allowed = counterOf("rule", rule, "allowed");
    this.limited = counterOf("rule", rule, "limited");
    this.shadowLimited = counterOf("rule", rule, "shadow_limited");
  }
}

export class ClassMetrics {
  admitted: Metric;
  shed: Metric;

  constructor(name: string) {
    this.admitted = counterOf("class", name, "admitted");
    this.shed = counterOf("class", name, "shed");
  }
}

export class ShaperMetrics {
  rules: Array<RuleMetrics> = new Array<RuleMetrics>();
  classes: Array<ClassMetrics> = new Array<ClassMetrics>();
  sharedDataFailures: Metric = Metric.counter(PREFIX + "shared_data_failures");
  inFlight: Metric = Metric.gauge(PREFIX + "in_flight");
  concurrencyLimit: Metric = Metric.gauge(PREFIX + "concurrency_limit");

  constructor(c: TrafficShaperConfig) {
    for (let i = 0; i < c.rules.length; i++) this.rules.push(new RuleMetrics(c.rules[i].name));
    for (let i = 0; i < c.priorities.length; i++) this.classes.push(new ClassMetrics(c.priorities[i].name));
    if (c.priorities.length == 0) this.classes.push(new ClassMetrics("default"));
  }
}
