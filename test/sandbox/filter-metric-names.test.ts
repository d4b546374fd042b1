// The metric-name reader the Grafana test relies on, on AssemblyScript in the shapes the filters use
// (prefix constants, per-object `base` strings, small helper functions).
import { describe, expect, it } from "vitest";
import { metricTemplates, prometheusName } from "./filter-metric-names.ts";

const PER_OBJECT_BASE = `
const PREFIX = "meshward.adaptive_lb.";
export class EndpointGauges {
  constructor(address: string) {
    const base = PREFIX + "endpoint." + metricSafe(address) + ".";
    this.pending = Metric.gauge(base + "pending");
  }
}
export class Other {
  constructor(name: string) {
    const base = PREFIX + "other." + name + ".";
    this.count = Metric.counter(base + "count");
  }
}
export class LbMetrics {
  picks: Metric = Metric.counter(PREFIX + "picks");
}`;

const HELPER = `
const PREFIX = "meshward.traffic_shaper.";
function counterOf(group: string, name: string, what: string): Metric {
  return Metric.counter(PREFIX + group + "." + name + "." + what);
}
class RuleMetrics {
  constructor(rule: string) {
    this.allowed = counterOf("rule", rule, "allowed");
    this.shed = counterOf("class", rule, "shed");
  }
}
const inFlight = Metric.gauge(PREFIX + "in_flight");`;

describe("filter metric names from AssemblyScript source", () => {
  it("resolves constants and the nearest preceding base; run-time parts become wildcards", () => {
    expect(metricTemplates(PER_OBJECT_BASE).map((t) => `${t.kind} ${t.template}`)).toEqual([
      "gauge meshward.adaptive_lb.endpoint.*.pending",
      "counter meshward.adaptive_lb.other.*.count",
      "counter meshward.adaptive_lb.picks",
    ]);
  });

  it("expands a helper function once per call, its parameters bound to the arguments", () => {
    expect(metricTemplates(HELPER).map((t) => t.template)).toEqual([
      "meshward.traffic_shaper.rule.*.allowed",
      "meshward.traffic_shaper.class.*.shed",
      "meshward.traffic_shaper.in_flight",
    ]);
  });

  it("names metrics as Envoy's /stats/prometheus does", () => {
    expect(prometheusName("meshward.traffic_shaper.rule.*.allowed")).toBe("meshward_traffic_shaper_rule_*_allowed");
    expect(prometheusName("meshward.adaptive_lb.endpoint.*.rtt_us")).toBe("meshward_adaptive_lb_endpoint_*_rtt_us");
  });
});
