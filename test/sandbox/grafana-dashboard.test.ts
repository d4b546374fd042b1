// manifests/grafana/meshward.json may only query metrics the code defines: the authz server's
// prom-client registrations (read from a live AuthzMetrics registry) and the names the filters'
// AssemblyScript glue defines, as Envoy's /stats/prometheus shows them (read from the source at
// test time, test/sandbox/filter-metric-names.ts). A filter whose glue defines no metrics on this
// branch yet is reported as skipped, and checked as soon as its code lands.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuthzMetrics } from "../../authz-server/src/ops/metrics.ts";
import { RateLimitMetrics } from "../../authz-server/src/ratelimit/metrics.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { filterMetricTemplates, prometheusName, regexMatchesTemplate } from "./filter-metric-names.ts";

interface Panel {
  title?: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(join(repoRoot, "manifests/grafana/meshward.json"), "utf8")) as {
  uid: string;
  title: string;
  panels: Panel[];
};

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const expressions = allPanels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** Metric names and `__name__=~` patterns a PromQL expression selects (label names, functions and
 *  keywords are not metric names: only identifiers starting with `meshward_` are taken). */
function selectors(expr: string): { names: string[]; patterns: string[] } {
  const patterns = [...expr.matchAll(/__name__=~"([^"]+)"/g)].map((m) => m[1] as string);
  const withoutPatterns = expr.replace(/\{[^}]*\}/g, "");
  const names = [...withoutPatterns.matchAll(/\b(meshward_[A-Za-z0-9_:]+)/g)].map((m) => m[1] as string);
  return { names, patterns };
}

const FILTERS = [
  { filter: "adaptive-lb", prefix: "meshward_adaptive_lb_" },
  { filter: "traffic-shaper", prefix: "meshward_traffic_shaper_" },
];

describe("Grafana dashboard manifests/grafana/meshward.json", () => {
  const all = expressions.map(selectors);
  const names = all.flatMap((s) => s.names);
  const patterns = all.flatMap((s) => s.patterns);

  it("is a dashboard with queries for authz decisions, latency, risk levels and both filters", () => {
    expect(dashboard.uid).toBe("meshward-overview");
    expect(names).toEqual(
      expect.arrayContaining([
        "meshward_authz_checks_total",
        "meshward_authz_check_duration_seconds_bucket",
        "meshward_authz_risk_assessments_total",
      ]),
    );
    for (const { prefix } of FILTERS) {
      expect(
        [...names, ...patterns].some((n) => n.startsWith(prefix)),
        prefix,
      ).toBe(true);
    }
  });

  it("queries only metrics the authz server registers (its RateLimitService's included)", async () => {
    const metrics = new AuthzMetrics();
    new RateLimitMetrics(metrics.registry, { redis: true });
    const registered = (await metrics.registry.getMetricsAsJSON()).flatMap((m) =>
      String(m.type) === "histogram" ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
    );
    const authzNames = names.filter((n) => n.startsWith("meshward_authz_"));
    const rateLimitNames = names.filter((n) => n.startsWith("meshward_ratelimit_"));
    expect(authzNames.length).toBeGreaterThan(5);
    expect(rateLimitNames.length).toBeGreaterThan(5);
    expect([...authzNames, ...rateLimitNames].filter((n) => !registered.includes(n))).toEqual([]);
  });

  it("selects no metric outside the authz server and the filters", () => {
    const known = ["meshward_authz_", "meshward_ratelimit_", ...FILTERS.map((f) => f.prefix)];
    expect([...names, ...patterns].filter((n) => !known.some((k) => n.startsWith(k)))).toEqual([]);
  });

  for (const { filter, prefix } of FILTERS) {
    const templates = filterMetricTemplates(repoRoot, filter).filter((t) =>
      prometheusName(t.template).startsWith(prefix),
    );
    it.skipIf(templates.length === 0)(`queries only ${filter} metrics its AssemblyScript glue defines`, () => {
      const exact = templates.filter((t) => !t.template.includes("*")).map((t) => prometheusName(t.template));
      const unknownNames = names.filter((n) => n.startsWith(prefix) && !exact.includes(n));
      const unknownPatterns = patterns.filter(
        (p) => p.startsWith(prefix) && !templates.some((t) => regexMatchesTemplate(p, t.template)),
      );
      expect({ unknownNames, unknownPatterns }).toEqual({ unknownNames: [], unknownPatterns: [] });
    });
  }
});
