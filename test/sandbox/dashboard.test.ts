// The live page's pure parts: Prometheus text, histogram quantiles, the snapshot built from the authz
// metrics + Envoy admin output + the sandbox state, the recent-decisions ring, the config fields, and
// the view of the sandbox Prometheus's alerts, rules and targets.
import { describe, expect, it } from "vitest";
import type { CheckRecord } from "../../authz-server/src/check/check-record.ts";
import { defaultConfig, validateConfig } from "../../authz-server/src/config/schema.ts";
import { DecisionFeed } from "../../authz-server/src/dashboard/decision-feed.ts";
import { MAX_LISTED, prometheusView } from "../../authz-server/src/dashboard/prometheus-api.ts";
import { histogramQuantile, parsePrometheusText, sumOf } from "../../authz-server/src/dashboard/prometheus-text.ts";
import { buildSnapshot, clusterHosts, metricSafeAddress } from "../../authz-server/src/dashboard/snapshot.ts";
import { AuthzMetrics } from "../../authz-server/src/ops/metrics.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

function record(over: Partial<CheckRecord> & { path?: string; level?: string; score?: number }): CheckRecord {
  const { path = "/public/a?token=secret", level, score, ...rest } = over;
  return {
    decisionId: "d",
    allowed: true,
    decidedAllow: true,
    dryRun: false,
    entrypoint: "envoy/authz/allow",
    durationMs: 0.4,
    input: {
      attributes: { request: { http: { method: "GET", path, headers: { authorization: "Bearer x" } } } },
      meshward: level ? { risk: { level, score, reasons: [] } } : {},
    } as unknown as CheckRecord["input"],
    ...rest,
  };
}

describe("Prometheus text", () => {
  const text = [
    "# HELP x_total help",
    "# TYPE x_total counter",
    'x_total{result="allow",reason="policy"} 7',
    'x_total{result="deny",reason="a \\"quoted\\" one"} 3',
    "plain 2.5 1700000000000",
    "not a sample line {",
    'h_bucket{le="0.1"} 2',
    'h_bucket{le="0.2"} 6',
    'h_bucket{le="+Inf"} 10',
  ].join("\n");

  it("reads samples with labels and escapes, skipping what does not parse", () => {
    const samples = parsePrometheusText(text);
    expect(samples.find((s) => s.labels.result === "deny")?.labels.reason).toBe('a "quoted" one');
    expect(sumOf(samples, "x_total")).toBe(10);
    expect(sumOf(samples, "x_total", { result: "allow" })).toBe(7);
    expect(sumOf(samples, "plain")).toBe(2.5);
    expect(samples.some((s) => s.name === "not")).toBe(false);
  });

  it("interpolates quantiles inside buckets as histogram_quantile does", () => {
    const samples = parsePrometheusText(text);
    expect(histogramQuantile(samples, "h", 0.1)).toBeCloseTo(0.05); // rank 1 of 2 in (0, 0.1]
    expect(histogramQuantile(samples, "h", 0.5)).toBeCloseTo(0.175); // rank 5: 3 of 4 in (0.1, 0.2]
    expect(histogramQuantile(samples, "h", 0.99)).toBe(0.2); // +Inf bucket → highest finite bound
    expect(histogramQuantile([], "h", 0.5)).toBeUndefined();
  });
});

describe("recent decisions", () => {
  it("keeps the newest N without query strings or headers", () => {
    let now = 1000;
    const feed = new DecisionFeed(3, () => now++);
    for (const path of ["/a", "/b", "/c", "/d?x=1"]) feed.observe(record({ path }));
    feed.observe(record({ allowed: false, httpStatus: 429, errorCode: "MW_POLICY_EVAL", level: "high", score: 70 }));
    const recent = feed.recent();
    expect(recent.map((d) => d.path)).toEqual(["/public/a", "/d", "/c"]);
    expect(recent[0]).toEqual({
      atMs: 1004,
      allowed: false,
      status: 429,
      method: "GET",
      path: "/public/a",
      reason: "MW_POLICY_EVAL",
      riskLevel: "high",
      riskScore: 70,
    });
    expect(JSON.stringify(recent)).not.toMatch(/secret|Bearer/);
    expect(feed.recent(1)).toHaveLength(1);
  });
});

describe("snapshot", () => {
  const clusters = [
    "upstream::observability_name::upstream",
    "upstream::127.0.0.1:4001::rq_total::12",
    "upstream::127.0.0.1:4001::rq_error::2",
    "upstream::127.0.0.1:4001::health_flags::healthy",
    "upstream::127.0.0.1:4002::rq_total::5",
    "upstream::127.0.0.1:4002::health_flags::/failed_outlier_check",
    "meshward_authz::127.0.0.1:9001::rq_total::99",
  ].join("\n");
  const envoy = [
    "meshward_adaptive_lb_picks 17",
    "meshward_adaptive_lb_endpoint_127_0_0_1_4001_rtt_us 1500",
    "meshward_traffic_shaper_rule_per_subject_allowed 9",
    "meshward_traffic_shaper_rule_per_subject_limited 4",
    "meshward_traffic_shaper_rule_per_subject_shadow_limited 1",
    "meshward_traffic_shaper_class_default_shed 2",
    "meshward_traffic_shaper_in_flight 3",
  ].join("\n");

  it("reads per-host counters of one cluster", () => {
    const hosts = clusterHosts(clusters, "upstream");
    expect([...hosts.keys()]).toEqual(["127.0.0.1:4001", "127.0.0.1:4002"]);
    expect(hosts.get("127.0.0.1:4001")?.rq_error).toBe("2");
    expect(metricSafeAddress("[::1]:80")).toBe("__1_80");
  });

  it("joins authz metrics, Envoy stats and the sandbox state", async () => {
    const metrics = new AuthzMetrics();
    metrics.observeCheck(record({ level: "low", score: 0 }));
    metrics.observeCheck(record({ allowed: false, decidedAllow: false, level: "critical", score: 90 }));
    metrics.observeCheck(record({}));
    const snapshot = buildSnapshot({
      atMs: 5,
      authz: parsePrometheusText(await metrics.text()),
      envoy: parsePrometheusText(envoy),
      clusters,
      envoyState: "ok",
      sandbox: {
        envoyAdminUrl: "http://127.0.0.1:1",
        filters: [{ name: "adaptive-lb", loaded: true, note: "" }],
        endpoints: [
          { name: "b", address: "127.0.0.1:4001", mode: "slow", requests: 12 },
          { name: "a", address: "127.0.0.1:4002", mode: "healthy", requests: 5 },
        ],
        traffic: { running: false, ratePerSecond: 20, sent: 0, answers: {} },
      },
      sandboxState: "ok",
      prometheusState: "not configured",
      recent: [],
      cluster: "upstream",
    });
    expect(snapshot.decisions).toEqual({ allow: 2, deny: 1, byReason: { policy: 3 } });
    expect(snapshot.risk).toEqual({ low: 1, medium: 0, high: 0, critical: 1 });
    expect(snapshot.latencyMs.count).toBe(3);
    expect(snapshot.endpoints.map((e) => [e.name, e.requests, e.errors, e.healthy, e.rttUs])).toEqual([
      ["a", 5, 0, false, undefined],
      ["b", 12, 2, true, 1500],
    ]);
    expect(snapshot.adaptiveLb?.picks).toBe(17);
    expect(snapshot.trafficShaper?.rules).toEqual([{ name: "per_subject", allowed: 9, limited: 4, shadowLimited: 1 }]);
    expect(snapshot.trafficShaper?.classes).toEqual([{ name: "default", admitted: 0, shed: 2 }]);
    expect(snapshot.trafficShaper?.inFlight).toBe(3);
    expect(snapshot.globalLimits).toBeNull(); // this server does not serve the RateLimitService
  });

  it("reads the global tier from the authz server's RateLimitService metrics", () => {
    const authz = parsePrometheusText(
      [
        'meshward_ratelimit_descriptors_total{domain="mesh",rule="global",result="ok"} 40',
        'meshward_ratelimit_descriptors_total{domain="mesh",rule="global",result="over_limit"} 7',
        'meshward_ratelimit_descriptors_total{domain="mesh",rule="canary",result="shadow_over_limit"} 2',
        "meshward_ratelimit_store_shared 0",
        'meshward_ratelimit_fallbacks_total{domain="mesh",decided_by="local",reason="timeout"} 3',
        'meshward_ratelimit_fallbacks_total{domain="mesh",decided_by="local",reason="unavailable"} 5',
      ].join("\n"),
    );
    const snapshot = buildSnapshot({
      atMs: 1,
      authz,
      envoyState: "not configured",
      sandboxState: "not configured",
      prometheusState: "not configured",
      recent: [],
      cluster: "upstream",
    });
    expect(snapshot.globalLimits).toEqual({
      rules: [
        { domain: "mesh", rule: "global", ok: 40, overLimit: 7, shadowOverLimit: 0 },
        { domain: "mesh", rule: "canary", ok: 0, overLimit: 0, shadowOverLimit: 2 },
      ],
      shared: false,
      fallbacks: 8,
    });
  });

  it("shows the authz numbers alone when Envoy and the sandbox are unavailable", () => {
    const snapshot = buildSnapshot({
      atMs: 1,
      authz: [],
      envoyState: "unavailable (timeout)",
      sandboxState: "not configured",
      prometheusState: "not configured",
      recent: [],
      cluster: "upstream",
    });
    expect(snapshot).toMatchObject({
      adaptiveLb: null,
      trafficShaper: null,
      traffic: null,
      endpoints: [],
      prometheus: null,
    });
    expect(snapshot.sources).toEqual({
      envoy: "unavailable (timeout)",
      sandbox: "not configured",
      prometheus: "not configured",
    });
  });
});

describe("Prometheus on the live page", () => {
  // The shapes of Prometheus 3's /api/v1/rules and /api/v1/targets, trimmed to what the page reads.
  const alert = (name: string, state: string, severity: string, extra: Record<string, string> = {}) => ({
    labels: { alertname: name, severity, ...extra },
    annotations: { summary: `${name} summary`, description: `${name} at 42%`, runbook_url: `docs/runbook.md#${name}` },
    state,
    activeAt: "2026-12-04T10:00:00Z",
    value: "4.2e-01",
  });
  const rules = {
    status: "success",
    data: {
      groups: [
        {
          name: "g1",
          rules: [
            { type: "recording", name: "r:a", health: "ok" },
            { type: "recording", name: "r:b", health: "err", lastError: "bad_data: many-to-many matching" },
          ],
        },
        {
          name: "g2",
          rules: [
            { type: "alerting", name: "Quiet", state: "inactive", health: "ok", alerts: [] },
            {
              type: "alerting",
              name: "Soon",
              state: "pending",
              health: "ok",
              alerts: [alert("Soon", "pending", "critical")],
            },
            {
              type: "alerting",
              name: "Burning",
              state: "firing",
              health: "unknown",
              alerts: [
                alert("Burning", "firing", "warning", { workload: "w" }),
                alert("Burning", "firing", "critical"),
              ],
            },
          ],
        },
      ],
    },
  };
  const targets = {
    status: "success",
    data: {
      activeTargets: [
        { labels: { job: "meshward-authz", instance: "127.0.0.1:1" }, health: "up", lastError: "" },
        { labels: { job: "meshward-envoy", instance: "127.0.0.1:2" }, health: "down", lastError: "connection refused" },
      ],
    },
  };

  it("lists firing alerts before pending ones, most severe first, with their annotations", () => {
    const view = prometheusView("http://127.0.0.1:9090", rules, targets);
    expect(view.alerts.map((a) => [a.name, a.state, a.severity])).toEqual([
      ["Burning", "firing", "critical"],
      ["Burning", "firing", "warning"],
      ["Soon", "pending", "critical"],
    ]);
    expect(view.alerts[1]).toMatchObject({
      summary: "Burning summary",
      description: "Burning at 42%",
      runbook: "docs/runbook.md#Burning",
      labels: { workload: "w" },
    });
    expect(view.rules).toEqual({
      groups: 2,
      recording: 2,
      alerting: 3,
      unhealthy: [{ name: "r:b", lastError: "bad_data: many-to-many matching" }],
    });
    expect(view.targets[1]).toEqual({
      job: "meshward-envoy",
      instance: "127.0.0.1:2",
      health: "down",
      lastError: "connection refused",
    });
  });

  it("makes an empty view of answers that are not what Prometheus sends, and bounds its lists", () => {
    expect(prometheusView("u", null, "nonsense")).toEqual({
      url: "u",
      targets: [],
      rules: { groups: 0, recording: 0, alerting: 0, unhealthy: [] },
      alerts: [],
    });
    const many = {
      data: { groups: [{ rules: [{ type: "alerting", alerts: Array(500).fill(alert("A", "firing", "info")) }] }] },
    };
    expect(prometheusView("u", many, {}).alerts).toHaveLength(MAX_LISTED);
  });
});

describe("dashboard config", () => {
  const defaults = defaultConfig(repoRoot);
  it("is off by default and takes http(s) origins", () => {
    expect(validateConfig({}, defaults).dashboard).toEqual({ enabled: false });
    expect(
      validateConfig({ dashboard: { enabled: true, controlUrl: "http://127.0.0.1:9/" } }, defaults).dashboard,
    ).toEqual({ enabled: true, controlUrl: "http://127.0.0.1:9" });
  });
  it("names the field it refuses", () => {
    expect(() => validateConfig({ dashboard: { envoyAdminUrl: "127.0.0.1:9" } }, defaults)).toThrow(
      /dashboard\.envoyAdminUrl: must be an http\(s\) origin/,
    );
    expect(() => validateConfig({ dashboard: { colour: "blue" } }, defaults)).toThrow(/dashboard/);
  });
});
