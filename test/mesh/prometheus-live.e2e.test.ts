// Meshward's dashboard and rules against live data: `npm start` (its rules 30× faster, scraping
// every second) with the traffic generator on, one endpoint slow, one failing, a burst of denied
// requests and one beyond a global rate limit. Then every PromQL expression of the Grafana dashboard and of the rules, as shipped, goes
// through Prometheus's HTTP API: each parses and evaluates, and those the scenario exercises return
// data. The filters' stats reach Prometheus under the names and labels the PodMonitor's
// relabelings give them; every rule Prometheus loaded evaluates without error; the failing
// endpoint's ejections fire MeshwardAdaptiveLbEjections, which resolves once the endpoint heals.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManagedProcess, startProcess } from "../../scripts/lib/processes.ts";
import { meshwardRuleGroups } from "../../scripts/lib/prometheus-rules.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { dashboardExpressions } from "../prometheus/dashboard-queries.ts";
import { envoyMetricNames } from "../prometheus/metric-catalog.ts";

const TIME_SCALE = 30;
/** Grafana's $__rate_interval for a 1 s scrape interval (4 × the interval). */
const RATE_INTERVAL = "4s";
const EJECTIONS_ALERT = "MeshwardAdaptiveLbEjections";
/** Series Prometheus adds to every scrape target. */
const SCRAPE_SERIES = [
  "scrape_duration_seconds",
  "scrape_samples_post_metric_relabeling",
  "scrape_samples_scraped",
  "scrape_series_added",
];

/** Expressions that have no data in this scenario, and why (anything else must return data). */
const EXPECTED_EMPTY: { pattern: RegExp; why: string }[] = [
  { pattern: /meshward_authz_jwks_/, why: "the sandbox's authz config verifies no JWTs: no JWKS is fetched" },
  { pattern: /meshward_authz_risk_store_/, why: "the sandbox keeps risk state in memory: no Redis, no store mode" },
  { pattern: /meshward_authz_errors_total/, why: "no check, bundle load or JWKS fetch fails in the scenario" },
  {
    pattern: /meshward_ratelimit_(fallbacks_total|store_shared|redis_duration)/,
    why: "the sandbox keeps rate-limit buckets in memory: no Redis to wait for or fail over from",
  },
  { pattern: /shadow_over_limit/, why: "the sandbox's rate-limit rules have no shadow rule" },
  { pattern: /meshward_ratelimit_overflow_total/, why: "no per-value rate-limit rule of the sandbox has a cap" },
  {
    pattern: /meshward_ratelimit_calls_total\{code=~"MW_RL_/,
    why: "Envoy sends well-formed rate-limit calls for the configured domain: none is refused",
  },
];

interface Ready {
  listener: string;
  control: string;
  prometheus: string | null;
  alertTimeScale: number;
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown[] | unknown };
}

let sandbox: ManagedProcess | undefined;
let ready: Ready;
let prometheus = "";

async function query(expr: string): Promise<QueryResult> {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as QueryResult;
}

function hasData(r: QueryResult): boolean {
  const result = r.data?.result;
  return Array.isArray(result) ? result.length > 0 : result !== undefined;
}

async function api<T>(path: string): Promise<T> {
  return ((await (await fetch(`${prometheus}${path}`)).json()) as { data: T }).data;
}

interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
}
const alerts = async () => (await api<{ alerts: ApiAlert[] }>("/api/v1/alerts")).alerts;

async function waitUntil(what: string, ms: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(500);
  }
  return Date.now() - started;
}

const control = (path: string, body: unknown) =>
  fetch(`${ready.control}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" }, // the control API takes JSON only (no cross-site form posts)
    body: JSON.stringify(body),
  }).then((r) => {
    if (!r.ok) throw new Error(`control API ${path}: ${r.status}`);
    return r.arrayBuffer();
  });

/** `count` denied requests (the default policy allows only GET /public/*), 8 at a time. */
async function deniedBurst(count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await (await fetch(`${ready.listener}/private/burst`, { method: "DELETE" })).arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Allowed requests, 16 at a time, until the global tier refuses one (its 429 carries the global
 *  rule's RateLimit-Policy; the sandbox's limit is 20/s, burst 40) or `max` were sent: the
 *  RateLimitService counts them near and over the limit. */
async function globalLimitedBurst(max: number): Promise<boolean> {
  let sent = 0;
  let refused = false;
  const worker = async () => {
    while (!refused && sent < max) {
      sent++;
      const res = await fetch(`${ready.listener}/public/burst`);
      await res.arrayBuffer();
      if (res.status === 429 && res.headers.get("ratelimit-policy")?.includes('"global";')) refused = true;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return refused;
}

describe("dashboard and rules on live data (npm start with Prometheus)", () => {
  beforeAll(async () => {
    sandbox = startProcess(
      "sandbox",
      process.execPath,
      ["--import", "tsx", "scripts/sandbox.ts", "--port", "0", "--alert-time-scale", String(TIME_SCALE)],
      { cwd: repoRoot },
    );
    const line = await sandbox.waitForLine(/^sandbox: ready /, 80_000);
    ready = JSON.parse(line.replace(/^sandbox: ready /, "")) as Ready;
    prometheus = ready.prometheus ?? "";
  }, 90_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it("starts Prometheus, which scrapes the authz server and Envoy and evaluates every rule", async () => {
    expect(prometheus, sandbox?.output().slice(-2000)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.alertTimeScale).toBe(TIME_SCALE);
    await waitUntil("both targets up", 20_000, async () => {
      const { activeTargets } = await api<{ activeTargets: { labels: { job: string }; health: string }[] }>(
        "/api/v1/targets",
      );
      return ["meshward-authz", "meshward-envoy"].every((job) =>
        activeTargets.some((t) => t.labels.job === job && t.health === "up"),
      );
    });
    const shipped = meshwardRuleGroups();
    await waitUntil("every rule evaluated", 20_000, async () => {
      const { groups } = await api<{ groups: { rules: { health: string }[] }[] }>("/api/v1/rules");
      return groups.flatMap((g) => g.rules).every((r) => r.health !== "unknown");
    });
    const { groups } = await api<{
      groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
    }>("/api/v1/rules");
    expect(groups.map((g) => g.name).sort()).toEqual(shipped.map((g) => g.name).sort());
    expect(groups.flatMap((g) => g.rules).length).toBe(shipped.flatMap((g) => g.rules).length);
    const failing = groups.flatMap((g) => g.rules).filter((r) => r.health !== "ok");
    expect(failing).toEqual([]);
  });

  it("fires MeshwardAdaptiveLbEjections while an endpoint fails (traffic, a slow endpoint, a denied and a rate-limited burst)", {
    timeout: 150_000,
  }, async () => {
    await control("/traffic", { running: true });
    await control("/endpoints/sample-app-2", { mode: "slow" });
    await control("/endpoints/sample-app-1", { mode: "failing" });
    const failingSince = Date.now();
    await deniedBurst(400);
    expect(await globalLimitedBurst(2000)).toBe(true);
    await waitUntil(`${EJECTIONS_ALERT} firing`, 120_000, async () =>
      (await alerts()).some((a) => a.labels.alertname === EJECTIONS_ALERT && a.state === "firing"),
    );
    const firing = (await alerts()).find((a) => a.labels.alertname === EJECTIONS_ALERT && a.state === "firing");
    expect(firing?.labels).toMatchObject({
      severity: "warning",
      namespace: "meshward-sandbox",
      workload: "sandbox-envoy",
    });
    expect(firing?.annotations.description).toMatch(
      /^The adaptive-lb filter of sandbox-envoy in meshward-sandbox ejected endpoints \d+ times/,
    );
    expect(firing?.annotations.runbook_url).toBe("docs/runbook.md#meshwardadaptivelbejections");
    // Its `for:` is 15m / 30 = 30 s: it cannot fire sooner than that after the first ejections.
    expect(Date.now() - failingSince).toBeGreaterThan(30_000);
  });

  it("stores the filters' and Envoy's Wasm stats under the relabelled names and labels", async () => {
    for (const [name, labels] of envoyMetricNames()) {
      const r = await query(`${name}{job="meshward-envoy"}`);
      expect(hasData(r), `${name}: no series`).toBe(true);
      const series = r.data?.result as { metric: Record<string, string> }[];
      for (const label of labels)
        expect(
          series.every((s) => s.metric[label] !== undefined),
          `${name} ${label}`,
        ).toBe(true);
    }
    const rules = await query('group by (rule) (meshward_traffic_shaper_rule_allowed{job="meshward-envoy"})');
    expect(((rules.data?.result ?? []) as { metric: { rule: string } }[]).map((s) => s.metric.rule).sort()).toEqual([
      "per_subject",
      "risky",
    ]);
    // Every name stored from Envoy is one the catalog knows: none keeps a run-time part.
    const stored = await api<string[]>(
      `/api/v1/label/__name__/values?match[]=${encodeURIComponent('{job="meshward-envoy"}')}`,
    );
    const known = new Set([...envoyMetricNames().keys(), "up", ...SCRAPE_SERIES]);
    expect(stored.filter((n) => !known.has(n))).toEqual([]);
  });

  it("evaluates every dashboard query; those the scenario exercises return data", async () => {
    const expressions = dashboardExpressions().map((e) => e.replaceAll("$__rate_interval", RATE_INTERVAL));
    expect(expressions.length).toBeGreaterThan(40);
    const problems: string[] = [];
    for (const expr of expressions) {
      const r = await query(expr);
      const empty = EXPECTED_EMPTY.some((x) => x.pattern.test(expr));
      if (r.status !== "success") problems.push(`${expr}: ${r.error}`);
      else if (!empty && !hasData(r)) problems.push(`${expr}: no data`);
    }
    expect(problems).toEqual([]);
  });

  it("evaluates every rule expression as shipped; every recording rule returns data", async () => {
    const problems: string[] = [];
    for (const rule of meshwardRuleGroups().flatMap((g) => g.rules)) {
      const r = await query(rule.expr);
      if (r.status !== "success") problems.push(`${rule.record ?? rule.alert}: ${r.error}`);
      else if (rule.record && !EXPECTED_EMPTY.some((x) => x.pattern.test(rule.expr)) && !hasData(r))
        problems.push(`${rule.record}: no data`);
    }
    expect(problems).toEqual([]);
  });

  it("resolves MeshwardAdaptiveLbEjections once the endpoint heals", { timeout: 100_000 }, async () => {
    await control("/endpoints/sample-app-1", { mode: "healthy" });
    await control("/endpoints/sample-app-2", { mode: "healthy" });
    await waitUntil(`${EJECTIONS_ALERT} resolved`, 90_000, async () =>
      (await alerts()).every((a) => a.labels.alertname !== EJECTIONS_ALERT),
    );
    await control("/traffic", { running: false });
  });
});
