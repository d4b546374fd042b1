// `npm run gen:prometheus`: writes manifests/prometheus/prometheus-rule.yaml, the prometheus-operator
// PrometheusRule carrying exactly the groups of manifests/prometheus/meshward-rules.yaml (the one
// source; test/prometheus/rules.test.ts fails when the committed file differs from what this makes).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { repoRoot } from "./lib/tools.ts";

export const RULES_FILE = "manifests/prometheus/meshward-rules.yaml";
export const PROMETHEUS_RULE_FILE = "manifests/prometheus/prometheus-rule.yaml";

const HEADER = `# Generated from meshward-rules.yaml by \`npm run gen:prometheus\`: edit that file, not this one.
# prometheus-operator loads it when the Prometheus resource's ruleSelector matches its labels
# (add yours, e.g. \`release: <helm release>\`, in an overlay) and its ruleNamespaceSelector matches
# the namespace. Alerts and their runbook: docs/runbook.md.
`;

/** The PrometheusRule manifest for the rule groups in `rulesYaml` (a Prometheus rule file). */
export function prometheusRuleFrom(rulesYaml: string): string {
  const { groups } = parse(rulesYaml) as { groups: unknown[] };
  const resource = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: "meshward",
      namespace: "meshward-system",
      labels: { "app.kubernetes.io/name": "meshward", "app.kubernetes.io/part-of": "meshward" },
    },
    spec: { groups },
  };
  return HEADER + stringify(resource, { lineWidth: 0 });
}

function main(): void {
  const text = prometheusRuleFrom(readFileSync(join(repoRoot, RULES_FILE), "utf8"));
  writeFileSync(join(repoRoot, PROMETHEUS_RULE_FILE), text);
  console.log(`gen-prometheus-rule: ${PROMETHEUS_RULE_FILE} written from ${RULES_FILE}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
