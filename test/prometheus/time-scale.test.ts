// The rules on a faster clock (scripts/lib/prometheus-rules.ts), as the sandbox and the live-data
// test load them: durations parsed and written as Prometheus does, windows, subquery steps, offsets
// and `for` divided, plain-number thresholds kept, and the result still valid for promtool.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  formatDuration,
  meshwardRuleGroups,
  parseDuration,
  ruleFileText,
  scaleExpressionTimes,
  scaleRuleTimes,
} from "../../scripts/lib/prometheus-rules.ts";
import { promtoolBinary } from "../../scripts/lib/tools.ts";

const scratch = mkdtempSync(join(tmpdir(), "meshward-rules-scaled-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("rule time scaling", () => {
  it("parses and writes Prometheus durations", () => {
    expect(parseDuration("2h30m")).toBe(9_000_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("1s500ms")).toBe(1500);
    expect(() => parseDuration("5 m")).toThrow(/not a Prometheus duration/);
    expect(() => parseDuration("m5")).toThrow(/not a Prometheus duration/);
    expect(formatDuration(9_000_000)).toBe("2h30m");
    expect(formatDuration(1500)).toBe("1s500ms");
    expect(formatDuration(3 * 86_400_000 + 1000)).toBe("3d1s");
    for (const text of ["15s", "7h12m", "20m", "2s880ms"]) expect(formatDuration(parseDuration(text))).toBe(text);
  });

  it("divides range windows, subquery ranges and steps, and offsets; leaves everything else", () => {
    expect(scaleExpressionTimes('rate(x{le="0.5"}[5m]) offset 1h > 900', 10)).toBe(
      'rate(x{le="0.5"}[30s]) offset 6m > 900',
    );
    expect(scaleExpressionTimes("max_over_time(rate(x[1m])[1h:5m])", 60)).toBe("max_over_time(rate(x[1s])[1m:5s])");
    expect(scaleExpressionTimes("avg_over_time(x[1d:]) offset -2h", 24)).toBe("avg_over_time(x[1h:]) offset -5m");
    // Never below a millisecond.
    expect(scaleExpressionTimes("rate(x[1ms])", 1000)).toBe("rate(x[1ms])");
  });

  it("scales Meshward's rules, which promtool still accepts", () => {
    const groups = meshwardRuleGroups();
    const fast = scaleRuleTimes(groups, 30);
    const fastBurn = fast.flatMap((g) => g.rules).find((r) => r.labels?.long_window === "1h");
    expect(fastBurn).toMatchObject({ alert: "MeshwardAuthzLatencyBudgetBurn", for: "4s" }); // 2m / 30
    expect(fastBurn?.expr).toContain("meshward:authz_check_slow:ratio_rate1h > (14.4 * 0.01)");
    const errors = fast.flatMap((g) => g.rules).find((r) => r.record === "meshward:authz_check_errors:ratio_rate5m");
    expect(errors?.expr).toContain("[10s]");
    const stale = fast.flatMap((g) => g.rules).find((r) => r.alert === "MeshwardAuthzBundleStale");
    expect(stale?.expr).toContain("900"); // a threshold in seconds is not a duration
    const ejections = fast.flatMap((g) => g.rules).find((r) => r.alert === "MeshwardAdaptiveLbEjections");
    expect(ejections).toMatchObject({ for: "30s" });
    expect(ejections?.expr).toContain("[20s]");
    const file = join(scratch, "scaled.yaml");
    writeFileSync(file, ruleFileText(fast));
    const r = spawnSync(promtoolBinary(), ["check", "rules", file], { encoding: "utf8" });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(() => scaleRuleTimes(groups, 0)).toThrow(/time scale/);
  });
});
