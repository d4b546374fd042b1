// manifests/prometheus/meshward-rules.yaml with the bootstrap's promtool: `check rules` (with the
// duplicate-rule lint) and `test rules` over test/prometheus/rules/*.promtool.yaml, whose synthetic
// series fire and do not fire every alert at its boundaries (a control proves they notice a changed
// threshold). Then what promtool does not check: every alert carries a severity, a summary, a
// description with its value and a runbook link to an existing section of docs/runbook.md; every
// alert rule has a firing and a not-firing test; the rules select only metrics Meshward or Envoy
// export; every recording rule is used; prometheus-rule.yaml is generated from the file.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROMETHEUS_RULE_FILE, prometheusRuleFrom } from "../../scripts/gen-prometheus-rule.ts";
import { meshwardRuleGroups, RULES_PATH, type Rule } from "../../scripts/lib/prometheus-rules.ts";
import { promtoolBinary, repoRoot } from "../../scripts/lib/tools.ts";
import { groupingLabels, knownLabelNames, metricCatalog, selectedMetricNames } from "./metric-catalog.ts";

const TESTS_DIR = join(repoRoot, "test/prometheus/rules");
const testFiles = readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith(".promtool.yaml"))
  .map((f) => join(TESTS_DIR, f));
const groups = meshwardRuleGroups();
const alerts = groups.flatMap((g) => g.rules.filter((r): r is Rule & { alert: string } => r.alert !== undefined));
const scratch = mkdtempSync(join(tmpdir(), "meshward-rules-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function promtool(args: string[]) {
  const r = spawnSync(promtoolBinary(), args, { cwd: repoRoot, encoding: "utf8", timeout: 170_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

interface PromtoolAlertTest {
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string> }[];
}
interface PromtoolFile {
  rule_files: string[];
  group_eval_order?: string[];
  tests: { alert_rule_test?: PromtoolAlertTest[] }[];
}
const unitTests = testFiles.map((f) => ({ file: f, ...(parse(readFileSync(f, "utf8")) as PromtoolFile) }));

/** GitHub's anchor of a Markdown heading: lowercase, spaces → `-`, punctuation dropped. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replace(/ /g, "-");

describe("Prometheus rules (manifests/prometheus/meshward-rules.yaml)", () => {
  it("pass promtool check rules, duplicate-rule lint included", () => {
    const r = promtool(["check", "rules", "--lint=all", "--lint-fatal", RULES_PATH]);
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status, r.output).toBe(0);
  });

  it("pass their promtool unit tests", { timeout: 180_000 }, () => {
    expect(testFiles.length).toBeGreaterThanOrEqual(5);
    const r = promtool(["test", "rules", ...testFiles]);
    expect(r.status, r.output).toBe(0);
    expect(r.output.match(/SUCCESS/g)?.length).toBe(testFiles.length);
  });

  it("the unit tests notice a changed threshold (control)", () => {
    // The error-ratio warning at 2 % instead of 1 %: the test expecting it at 1.25 % must fail.
    const original = readFileSync(RULES_PATH, "utf8");
    const rules = original.replace(
      "meshward:authz_check_errors:ratio_rate5m > 0.01",
      "meshward:authz_check_errors:ratio_rate5m > 0.02",
    );
    expect(rules).not.toBe(original);
    const dir = join(scratch, "control");
    const file = join(TESTS_DIR, "authz-checks.promtool.yaml");
    const test = parse(readFileSync(file, "utf8")) as PromtoolFile & Record<string, unknown>;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "rules.yaml"), rules);
    writeFileSync(join(dir, "test.yaml"), JSON.stringify({ ...test, rule_files: ["rules.yaml"] }));
    const r = promtool(["test", "rules", join(dir, "test.yaml")]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/alertname: MeshwardAuthzCheckErrors, time: 16m/);
  });

  it("every alert has a severity, a summary, a description with its values and a runbook section", () => {
    const runbook = readFileSync(join(repoRoot, "docs/runbook.md"), "utf8");
    const anchors = new Set([...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] as string)));
    expect(alerts.length).toBeGreaterThanOrEqual(20);
    for (const rule of alerts) {
      const where = `${rule.alert} (${rule.labels?.severity})`;
      expect(["critical", "warning", "info"], where).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, where).toMatch(/\S/);
      // The value the alert is about, or values queried for it; a 0/1 state (`== 0`) has none to
      // show beyond which instance it is.
      const description = rule.annotations?.description ?? "";
      expect(description, where).toMatch(/\$labels\.\w+/);
      if (!/== 0$/.test(rule.expr.trim())) expect(description, where).toMatch(/\{\{[^}]*\$value\b|\| query \}\}/);
      const url = rule.annotations?.runbook_url ?? "";
      expect(url, where).toBe(`docs/runbook.md#${rule.alert.toLowerCase()}`);
      expect(anchors.has(url.split("#")[1] as string), `${where}: no section ${url} in docs/runbook.md`).toBe(true);
    }
  });

  it("every alert rule fires in a unit test, and every alert is tested not firing", () => {
    const tests = unitTests.flatMap((u) => u.tests.flatMap((t) => t.alert_rule_test ?? []));
    for (const rule of alerts) {
      // The rule's own labels identify it among rules of the same name (severity, burn windows).
      const fired = tests.some(
        (t) =>
          t.alertname === rule.alert &&
          (t.exp_alerts ?? []).some((a) =>
            Object.entries(rule.labels ?? {}).every(([k, v]) => a.exp_labels?.[k] === v),
          ),
      );
      expect(fired, `${rule.alert} ${JSON.stringify(rule.labels)} never expected firing`).toBe(true);
      const quiet = tests.some((t) => t.alertname === rule.alert && (t.exp_alerts ?? []).length === 0);
      expect(quiet, `${rule.alert} never expected quiet`).toBe(true);
    }
  });

  it("every unit test file loads the rules and evaluates their groups in file order", () => {
    for (const u of unitTests) {
      expect(u.rule_files, u.file).toEqual(["../../../manifests/prometheus/meshward-rules.yaml"]);
      expect(u.group_eval_order, u.file).toEqual(groups.map((g) => g.name));
    }
  });

  it("select only metrics Meshward or Envoy export, and recording rules the file defines", async () => {
    const known = await metricCatalog();
    const unknown = groups.flatMap((g) =>
      g.rules.flatMap((r) => selectedMetricNames(r.expr).filter((n) => !known.has(n))),
    );
    expect(unknown).toEqual([]);
    // Control: the extraction sees names inside functions and next to matchers.
    expect(selectedMetricNames('sum by (rule) (rate(meshward_traffic_shaper_rule_limited{rule="a"}[5m]))')).toEqual([
      "meshward_traffic_shaper_rule_limited",
    ]);
  });

  it("group only by labels the series carry", () => {
    const labels = knownLabelNames();
    expect(groups.flatMap((g) => g.rules.flatMap((r) => groupingLabels(r.expr))).filter((l) => !labels.has(l))).toEqual(
      [],
    );
  });

  it("use every recording rule in an alert or the Grafana dashboard", () => {
    const dashboard = readFileSync(join(repoRoot, "manifests/grafana/meshward.json"), "utf8");
    const used = new Set([...alerts.flatMap((a) => selectedMetricNames(a.expr)), ...selectedMetricNames(dashboard)]);
    // A recording rule may feed another one that is used.
    for (const g of groups)
      for (const r of g.rules) if (r.record) for (const n of selectedMetricNames(r.expr)) used.add(n);
    const unused = groups.flatMap((g) => g.rules.flatMap((r) => (r.record && !used.has(r.record) ? [r.record] : [])));
    expect(unused).toEqual([]);
  });

  it("are what manifests/prometheus/prometheus-rule.yaml carries (npm run gen:prometheus)", () => {
    const committed = readFileSync(join(repoRoot, PROMETHEUS_RULE_FILE), "utf8");
    expect(committed).toBe(prometheusRuleFrom(readFileSync(RULES_PATH, "utf8")));
    const resource = parse(committed) as { spec: { groups: unknown[] } };
    expect(resource.spec.groups).toEqual(groups);
  });
});
