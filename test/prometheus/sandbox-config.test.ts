// The sandbox Prometheus's configuration (scripts/sandbox/prometheus-config.ts): the PodMonitor's
// relabelings carried over field by field, intervals and rule durations on the sandbox's clock,
// and the whole accepted by `promtool check config` (which also checks the rule file it names).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseRuleGroups, type RuleGroup } from "../../scripts/lib/prometheus-rules.ts";
import { promtoolBinary } from "../../scripts/lib/tools.ts";
import {
  podMonitorRelabelings,
  RULES_FILE_NAME,
  relabelConfigs,
  sandboxIntervalMs,
  sandboxPrometheusFiles,
} from "../../scripts/sandbox/prometheus-config.ts";

const scratch = mkdtempSync(join(tmpdir(), "meshward-sandbox-prometheus-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface ScrapeConfig {
  job_name: string;
  metrics_path: string;
  static_configs: { targets: string[]; labels: Record<string, string> }[];
  metric_relabel_configs?: Record<string, unknown>[];
}

describe("sandbox Prometheus configuration", () => {
  const { config, files } = sandboxPrometheusFiles({ authz: "127.0.0.1:8080", envoyAdmin: "127.0.0.1:9901" }, 30);
  const parsed = parse(config) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };

  it("scrapes the authz server and Envoy as the cluster's monitors do, with the PodMonitor's relabelings", () => {
    const [authz, envoy] = parsed.scrape_configs as [ScrapeConfig, ScrapeConfig];
    expect(authz).toMatchObject({ job_name: "meshward-authz", metrics_path: "/metrics" });
    expect(authz.static_configs[0]?.targets).toEqual(["127.0.0.1:8080"]);
    expect(envoy).toMatchObject({ job_name: "meshward-envoy", metrics_path: "/stats/prometheus" });
    expect(envoy.static_configs[0]?.labels).toEqual({ namespace: "meshward-sandbox", workload: "sandbox-envoy" });
    const relabelings = podMonitorRelabelings();
    expect(relabelings.length).toBeGreaterThan(5);
    expect(envoy.metric_relabel_configs).toHaveLength(relabelings.length);
    relabelings.forEach((r, i) => {
      const c = envoy.metric_relabel_configs?.[i] ?? {};
      expect(c.source_labels).toEqual(r.sourceLabels);
      expect(c.regex).toBe(r.regex);
      expect(c.target_label).toBe(r.targetLabel);
      expect(c.replacement).toBe(r.replacement);
      expect(c.action).toBe(r.action?.toLowerCase());
    });
    expect(() => relabelConfigs([{ unknownField: 1 } as never])).toThrow(/unknownField/);
  });

  it("runs on the sandbox clock: intervals and rule durations divided, at least 1 s between scrapes", () => {
    expect(sandboxIntervalMs(1)).toBe(15_000);
    expect(sandboxIntervalMs(10)).toBe(1500);
    expect(sandboxIntervalMs(30)).toBe(1000);
    expect(parsed.global).toEqual({ scrape_interval: "1s", evaluation_interval: "1s" });
    expect(parsed.rule_files).toEqual([RULES_FILE_NAME]);
    const rules = parseRuleGroups(files[RULES_FILE_NAME] as string).flatMap((g: RuleGroup) => g.rules);
    expect(rules.find((r) => r.alert === "MeshwardAdaptiveLbEjections")).toMatchObject({ for: "30s" });
  });

  it("is accepted by promtool check config, rule file included, at every time scale the sandbox offers", () => {
    for (const scale of [1, 10, 30, 3600]) {
      const made = sandboxPrometheusFiles({ authz: "127.0.0.1:8080", envoyAdmin: "127.0.0.1:9901" }, scale);
      const dir = join(scratch, String(scale));
      mkdirSync(dir);
      writeFileSync(join(dir, "prometheus.yml"), made.config);
      for (const [name, text] of Object.entries(made.files)) writeFileSync(join(dir, name), text);
      const r = spawnSync(promtoolBinary(), ["check", "config", join(dir, "prometheus.yml")], { encoding: "utf8" });
      const output = `${r.stdout}${r.stderr}`;
      expect(r.status, `scale ${scale}: ${output}`).toBe(0);
      expect(output).toMatch(/SUCCESS: \d+ rules found/);
    }
    // 15 s / 10 is not a whole number of seconds: written as Prometheus reads it.
    expect(parse(sandboxPrometheusFiles({ authz: "a:1", envoyAdmin: "b:2" }, 10).config).global.scrape_interval).toBe(
      "1s500ms",
    );
  });
});
