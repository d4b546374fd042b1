// Prometheus relabelling (the `replace`, `keep` and `drop` actions of a relabel_config) applied to
// one label set, for checks that need to know which metric names and labels the PodMonitor's
// metricRelabelings make out of what Envoy exports. Prometheus itself applies them in the sandbox
// and in the live-data test; this is for the static checks. Regexes are RE2 in Prometheus, anchored
// at both ends; the ones used here mean the same in JavaScript.
import type { MonitorRelabeling } from "../../scripts/sandbox/prometheus-config.ts";

/** `$1` / `${1}` in `replacement` → the groups of `match`. */
function expand(replacement: string, match: RegExpExecArray): string {
  return replacement.replace(/\$(?:\{(\w+)\}|(\d+))/g, (_all, braced: string | undefined, bare: string | undefined) => {
    const group = braced ?? bare ?? "";
    return /^\d+$/.test(group) ? (match[Number(group)] ?? "") : (match.groups?.[group] ?? "");
  });
}

/** The label set after `rules`, or undefined when a keep/drop rule drops the series. */
export function relabel(
  labels: Record<string, string>,
  rules: readonly MonitorRelabeling[],
): Record<string, string> | undefined {
  const out = { ...labels };
  for (const rule of rules) {
    const action = (rule.action ?? "replace").toLowerCase();
    const value = (rule.sourceLabels ?? []).map((l) => out[l] ?? "").join(rule.separator ?? ";");
    const match = new RegExp(`^(?:${rule.regex ?? "(.*)"})$`).exec(value);
    if (action === "keep" && !match) return undefined;
    if (action === "drop" && match) return undefined;
    if (action !== "replace") {
      if (action !== "keep" && action !== "drop") throw new Error(`relabel: action ${action} not supported here`);
      continue;
    }
    if (!match || rule.targetLabel === undefined) continue;
    const result = expand(rule.replacement ?? "$1", match);
    if (result === "") delete out[rule.targetLabel];
    else out[rule.targetLabel] = result;
  }
  return out;
}
