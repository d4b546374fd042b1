// Every metric name a Meshward rule or dashboard query may select, as Prometheus stores it:
// - the authz server's prom-client registrations (every one it can make, its RateLimitService's
//   included, read from a live registry);
// - the filters' stats as Envoy exports them (names read from their AssemblyScript glue,
//   test/sandbox/filter-metric-names.ts) after the PodMonitor's metricRelabelings, which turn rule,
//   class, endpoint and plugin names into labels;
// - Envoy's own Wasm stats (ENVOY_WASM_STATS, through the same relabelings);
// - `up`, and the recording rules of manifests/prometheus/meshward-rules.yaml.
// The live-data test (test/mesh/prometheus-live.e2e.test.ts) proves the names against real Envoy.
import { AuthzMetrics } from "../../authz-server/src/ops/metrics.ts";
import { RateLimitMetrics } from "../../authz-server/src/ratelimit/metrics.ts";
import { meshwardRuleGroups } from "../../scripts/lib/prometheus-rules.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { podMonitorRelabelings } from "../../scripts/sandbox/prometheus-config.ts";
import { filterMetricTemplates, prometheusName } from "../sandbox/filter-metric-names.ts";
import { relabel } from "./relabel.ts";

/** Envoy 1.40's Wasm stats on /stats/prometheus (`*` = the plugin name, PluginConfig.name). */
export const ENVOY_WASM_STATS = [
  "envoy_wasm_*_vm_reload",
  "envoy_wasm_*_vm_reload_backoff",
  "envoy_wasm_*_vm_reload_success",
  "envoy_wasm_*_vm_reload_failure",
  "envoy_wasm_envoy_wasm_runtime_v8_created",
  "envoy_wasm_envoy_wasm_runtime_v8_active",
  "envoy_wasm_wasm_vm_count",
  "envoy_wasm_remote_load_fetch_failures",
  "envoy_wasm_remote_load_fetch_successes",
  "envoy_wasm_remote_load_cache_entries",
  "envoy_wasm_remote_load_cache_hits",
  "envoy_wasm_remote_load_cache_misses",
  "envoy_wasm_remote_load_cache_negative_hits",
];

export const FILTERS = ["adaptive-lb", "traffic-shaper"];

/** A name as Prometheus stores it after the PodMonitor's relabelings (undefined: dropped), with
 *  the labels those add; `*` in an Envoy name stands for a run-time part (sample value `x_y`). */
export function relabelledEnvoyName(name: string): { name: string; labels: string[] } | undefined {
  const out = relabel({ __name__: name.replaceAll("*", "x_y") }, podMonitorRelabelings());
  if (!out) return undefined;
  const { __name__, ...labels } = out;
  return { name: __name__ as string, labels: Object.keys(labels) };
}

/** An authz registry holding every metric the server can register. */
function fullAuthzRegistry(): AuthzMetrics["registry"] {
  const metrics = new AuthzMetrics();
  metrics.riskStoreMode("shared"); // registered only once a Redis store reports its mode
  new RateLimitMetrics(metrics.registry, { redis: true }); // the store gauge and Redis histogram need Redis
  return metrics.registry;
}

export async function authzMetricNames(): Promise<string[]> {
  return (await fullAuthzRegistry().getMetricsAsJSON()).flatMap((m) =>
    String(m.type) === "histogram" ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
  );
}

/** Filter and Envoy Wasm metric names after relabelling → the labels relabelling gave them. */
export function envoyMetricNames(): Map<string, string[]> {
  const raw = [
    ...FILTERS.flatMap((f) => filterMetricTemplates(repoRoot, f).map((t) => prometheusName(t.template))),
    ...ENVOY_WASM_STATS,
  ];
  const out = new Map<string, string[]>();
  for (const name of raw) {
    const kept = relabelledEnvoyName(name);
    if (kept) out.set(kept.name, kept.labels);
  }
  return out;
}

export function recordingRuleNames(): string[] {
  return meshwardRuleGroups().flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])));
}

export async function metricCatalog(): Promise<Set<string>> {
  return new Set([...(await authzMetricNames()), ...envoyMetricNames().keys(), "up", ...recordingRuleNames()]);
}

/** Metric names a PromQL expression selects: identifiers starting with `meshward_`, `meshward:`,
 *  `envoy_`, and `up`, outside label matchers and strings (functions, keywords and label names are
 *  none of these). */
export function selectedMetricNames(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, "{}");
  return [...bare.matchAll(/(?<![\w:])(meshward[_:][\w:]*|envoy_\w+|up)(?![\w:(])/g)].map((m) => m[1] as string);
}

/** Labels a series may carry in Prometheus: the targets' (Kubernetes discovery or the sandbox's
 *  static labels), the authz server's label names, `le`, and those the relabelings add. */
export function knownLabelNames(): Set<string> {
  const fromAuthz = fullAuthzRegistry()
    .getMetricsAsArray()
    .flatMap((m) => (m as { labelNames?: string[] }).labelNames ?? []);
  const fromRelabel = [...envoyMetricNames().values()].flat();
  return new Set(["namespace", "job", "instance", "pod", "workload", "le", ...fromAuthz, ...fromRelabel]);
}

/** Label names in the `by (…)` / `without (…)` clauses of a PromQL expression. */
export function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
    (m[1] as string)
      .split(",")
      .map((l) => l.trim())
      .filter((l) => l !== ""),
  );
}
