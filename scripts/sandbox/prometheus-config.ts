// The sandbox's Prometheus configuration, made from the manifests a cluster uses, so the sandbox
// shows what production would: the authz server's /metrics as job `meshward-authz` (the
// ServiceMonitor's job), Envoy's /stats/prometheus as job `meshward-envoy` with the PodMonitor's
// metricRelabelings (manifests/prometheus/pod-monitor.yaml, camelCase → relabel_config), and
// Meshward's rules with their durations divided by the time scale. Static `namespace` and
// `workload` labels stand in for what Kubernetes discovery gives the cluster's series. Pure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { formatDuration, meshwardRuleGroups, ruleFileText, scaleRuleTimes } from "../lib/prometheus-rules.ts";
import { repoRoot } from "../lib/tools.ts";

export const SANDBOX_NAMESPACE = "meshward-sandbox";
export const SANDBOX_WORKLOAD = "sandbox-envoy";
export const RULES_FILE_NAME = "meshward-rules.yaml";
/** The monitors' production scrape interval; the sandbox divides it by the time scale. */
const PRODUCTION_INTERVAL_MS = 15_000;

/** A relabel rule as prometheus-operator writes it. */
export interface MonitorRelabeling {
  sourceLabels?: string[];
  separator?: string;
  targetLabel?: string;
  regex?: string;
  modulus?: number;
  replacement?: string;
  action?: string;
}

const FIELD_NAMES: Record<keyof MonitorRelabeling, string> = {
  sourceLabels: "source_labels",
  separator: "separator",
  targetLabel: "target_label",
  regex: "regex",
  modulus: "modulus",
  replacement: "replacement",
  action: "action",
};

/** prometheus-operator's relabelings as Prometheus's relabel_configs (actions in lower case). */
export function relabelConfigs(relabelings: readonly MonitorRelabeling[]): Record<string, unknown>[] {
  return relabelings.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(r)) {
      const name = FIELD_NAMES[key as keyof MonitorRelabeling];
      if (!name) throw new Error(`relabeling field ${key} has no relabel_config counterpart here`);
      out[name] = key === "action" ? String(value).toLowerCase() : value;
    }
    return out;
  });
}

export function podMonitorRelabelings(root = repoRoot): MonitorRelabeling[] {
  const monitor = parse(readFileSync(join(root, "manifests/prometheus/pod-monitor.yaml"), "utf8")) as {
    spec: { podMetricsEndpoints: { metricRelabelings?: MonitorRelabeling[] }[] };
  };
  return monitor.spec.podMetricsEndpoints[0]?.metricRelabelings ?? [];
}

/** Scrape and evaluation interval at a time scale: 15 s divided, at least 1 s. */
export function sandboxIntervalMs(timeScale: number): number {
  return Math.max(1000, Math.round(PRODUCTION_INTERVAL_MS / timeScale));
}

export interface SandboxPrometheusTargets {
  /** `127.0.0.1:<port>` of the authz server's HTTP listener. */
  authz: string;
  /** `127.0.0.1:<port>` of Envoy's admin listener. */
  envoyAdmin: string;
}

/** prometheus.yml and the rule file it loads (both written into Prometheus's directory). */
export function sandboxPrometheusFiles(
  targets: SandboxPrometheusTargets,
  timeScale: number,
): { config: string; files: Record<string, string> } {
  const interval = formatDuration(sandboxIntervalMs(timeScale));
  const config = {
    global: {
      scrape_interval: interval,
      evaluation_interval: interval,
    },
    rule_files: [RULES_FILE_NAME],
    scrape_configs: [
      {
        job_name: "meshward-authz",
        metrics_path: "/metrics",
        static_configs: [{ targets: [targets.authz], labels: { namespace: SANDBOX_NAMESPACE } }],
      },
      {
        job_name: "meshward-envoy",
        metrics_path: "/stats/prometheus",
        static_configs: [
          { targets: [targets.envoyAdmin], labels: { namespace: SANDBOX_NAMESPACE, workload: SANDBOX_WORKLOAD } },
        ],
        metric_relabel_configs: relabelConfigs(podMonitorRelabelings()),
      },
    ],
  };
  return {
    config: stringify(config, { lineWidth: 0 }),
    files: { [RULES_FILE_NAME]: ruleFileText(scaleRuleTimes(meshwardRuleGroups(), timeScale)) },
  };
}
