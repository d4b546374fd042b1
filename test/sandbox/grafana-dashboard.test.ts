// manifests/grafana/meshward.json may only query what exists: the authz server's prom-client
// registrations, the filters' and Envoy's Wasm stats as the PodMonitor's relabelings store them
// (names read from the AssemblyScript glue), and the recording rules of
// manifests/prometheus/meshward-rules.yaml (test/prometheus/metric-catalog.ts), grouped only by labels
// those carry. Every query also runs against a live Prometheus in test/mesh/prometheus-live.e2e.test.ts.
import { describe, expect, it } from "vitest";
import { dashboardExpressions, readDashboard } from "../prometheus/dashboard-queries.ts";
import {
  authzMetricNames,
  envoyMetricNames,
  groupingLabels,
  knownLabelNames,
  metricCatalog,
  recordingRuleNames,
  selectedMetricNames,
} from "../prometheus/metric-catalog.ts";

const dashboard = readDashboard();
const expressions = dashboardExpressions(dashboard);

describe("Grafana dashboard manifests/grafana/meshward.json", () => {
  const names = expressions.flatMap(selectedMetricNames);

  it("has queries for authz decisions, latency, SLO burn, state, global rate limits, both filters and the Wasm VMs", () => {
    expect(dashboard.uid).toBe("meshward-overview");
    expect(names).toEqual(
      expect.arrayContaining([
        "meshward_authz_checks_total",
        "meshward_authz_check_duration_seconds_bucket",
        "meshward_authz_risk_assessments_total",
        "meshward_authz_ready",
        "meshward:authz_check_slow:ratio_rate1h",
        "meshward:authz_denies:ratio_avg1d",
        "meshward_ratelimit_descriptors_total",
        "meshward_ratelimit_fallbacks_total",
        "meshward_ratelimit_redis_duration_seconds_bucket",
        "meshward_adaptive_lb_picks",
        "meshward_adaptive_lb_endpoint_rtt_us",
        "meshward_traffic_shaper_rule_limited",
        "meshward:traffic_shaper_class_shed:ratio_rate5m",
        "envoy_wasm_vm_reload_success",
      ]),
    );
  });

  it("queries only metrics the code exports or the rules record", async () => {
    const known = await metricCatalog();
    expect(names.filter((n) => !known.has(n))).toEqual([]);
    // Controls: the catalog holds the authz registrations and the relabelled filter names, and not
    // the raw names the relabelings replace.
    expect(await authzMetricNames()).toContain("meshward_authz_bundle_last_success_timestamp_seconds");
    expect(await authzMetricNames()).toContain("meshward_ratelimit_store_shared");
    expect(envoyMetricNames().get("meshward_traffic_shaper_rule_shadow_limited")).toEqual(["rule"]);
    expect(envoyMetricNames().get("envoy_wasm_vm_reload_failure")).toEqual(["plugin"]);
    expect(known.has("meshward_traffic_shaper_rule_x_y_limited")).toBe(false);
    expect(recordingRuleNames()).toContain("meshward:authz_denies:ratio_rate5m");
  });

  it("groups only by labels the series carry", () => {
    const labels = knownLabelNames();
    const unknown = expressions.flatMap((e) => groupingLabels(e).filter((l) => !labels.has(l)));
    expect(unknown).toEqual([]);
    expect(groupingLabels("sum by (rule, class) (x) / sum without(pod) (y)")).toEqual(["rule", "class", "pod"]);
  });
});
