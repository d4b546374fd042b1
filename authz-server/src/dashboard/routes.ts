// The live page as a route group on the authz server's HTTP listener (transport/route-group.ts,
// mounted by the composition root when `dashboard.enabled`):
//   GET  /dashboard                     the page (page.html + page.js, no external resources)
//   GET  /dashboard/api/snapshot        Snapshot JSON (snapshot.ts), polled by the page every second; it
//                                       includes the sandbox Prometheus's alerts when the sandbox has one
//   POST /dashboard/api/endpoints/:name {"mode": "healthy"|"slow"|"failing"} → the sandbox control API
//   POST /dashboard/api/traffic         {"running": bool} → the sandbox control API
// Sources are fetched per snapshot with a short timeout; one that fails is reported in `sources` and
// left out, so the page keeps showing the authz numbers when Envoy is down. Control requests are
// validated here and only forwarded, as canonical JSON, to the configured control URL. Every route
// answers same-origin loopback requests only (local-only.ts): no other site, through the visitor's
// browser or DNS rebinding, can read the snapshot or change the sandbox.
import { readFileSync } from "node:fs";
import { parseJsonStrict } from "../json/untrusted-json.ts";
import type { RouteGroup, RouteReply, RouteRequest } from "../transport/route-group.ts";
import type { DecisionFeed } from "./decision-feed.ts";
import { localRequestProblem } from "./local-only.ts";
import { type PrometheusView, prometheusView } from "./prometheus-api.ts";
import { parsePrometheusText } from "./prometheus-text.ts";
import { buildSnapshot, type SandboxView } from "./snapshot.ts";

const SOURCE_TIMEOUT_MS = 1500;
const RECENT_SHOWN = 25;
/** The sandbox's upstream cluster (scripts/lib/envoy-config.ts names it so). */
const UPSTREAM_CLUSTER = "upstream";
const MODES = ["healthy", "slow", "failing"];

export interface DashboardOptions {
  feed: DecisionFeed;
  authzMetrics: () => Promise<string>;
  envoyAdminUrl?: string;
  controlUrl?: string;
  nowMs: () => number;
}

const asset = (name: string) => readFileSync(new URL(name, import.meta.url), "utf8");

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(SOURCE_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

const describe = (err: unknown) => `unavailable (${err instanceof Error ? err.message : String(err)})`;

async function sandboxView(controlUrl: string | undefined): Promise<{ view?: SandboxView; state: string }> {
  if (!controlUrl) return { state: "not configured" };
  try {
    return { view: parseJsonStrict(await fetchText(`${controlUrl}/state`)) as SandboxView, state: "ok" };
  } catch (err) {
    return { state: describe(err) };
  }
}

async function envoyStats(adminUrl: string | undefined): Promise<{ stats?: string; clusters?: string; state: string }> {
  if (!adminUrl) return { state: "not configured" };
  try {
    const [stats, clusters] = await Promise.all([
      fetchText(`${adminUrl}/stats/prometheus?filter=meshward`),
      fetchText(`${adminUrl}/clusters`),
    ]);
    return { stats, clusters, state: "ok" };
  } catch (err) {
    return { state: describe(err) };
  }
}

/** Alerts, rule health and targets of the sandbox's Prometheus (its HTTP API). */
async function prometheusStatus(url: string | undefined): Promise<{ view?: PrometheusView; state: string }> {
  if (!url) return { state: "not configured" };
  try {
    const [rules, targets] = await Promise.all([
      fetchText(`${url}/api/v1/rules`),
      fetchText(`${url}/api/v1/targets?state=active`),
    ]);
    return { view: prometheusView(url, JSON.parse(rules), JSON.parse(targets)), state: "ok" };
  } catch (err) {
    return { state: describe(err) };
  }
}

/** The JSON object in a request body (the HTTP listener hands every body over as raw bytes). */
function jsonBody(body: Buffer | undefined): Record<string, unknown> | undefined {
  if (!body) return undefined;
  try {
    const value: unknown = parseJsonStrict(body.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

async function forward(controlUrl: string | undefined, path: string, body: unknown): Promise<RouteReply> {
  if (!controlUrl) return { status: 501, body: { error: "no sandbox control API configured (dashboard.controlUrl)" } };
  try {
    const response = await fetch(`${controlUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SOURCE_TIMEOUT_MS),
    });
    return { status: response.status, type: "application/json", body: await response.text() };
  } catch (err) {
    return { status: 502, body: { error: describe(err) } };
  }
}

/** Every route answers same-origin loopback requests only. */
function localOnly(req: RouteRequest): RouteReply | undefined {
  const problem = localRequestProblem(
    {
      method: req.method,
      host: req.header("host"),
      origin: req.header("origin"),
      contentType: req.header("content-type"),
      secFetchSite: req.header("sec-fetch-site"),
    },
    req.localPort,
    { allowBrowser: true },
  );
  return problem ? { status: 403, body: { error: problem } } : undefined;
}

async function snapshot(options: DashboardOptions): Promise<RouteReply> {
  const sandbox = await sandboxView(options.controlUrl);
  const [envoy, prometheus] = await Promise.all([
    envoyStats(options.envoyAdminUrl ?? (sandbox.view?.envoyAdminUrl || undefined)),
    prometheusStatus(sandbox.view?.prometheusUrl || undefined),
  ]);
  const body = buildSnapshot({
    atMs: options.nowMs(),
    authz: parsePrometheusText(await options.authzMetrics()),
    ...(envoy.stats !== undefined ? { envoy: parsePrometheusText(envoy.stats) } : {}),
    ...(envoy.clusters !== undefined ? { clusters: envoy.clusters } : {}),
    envoyState: envoy.state,
    ...(sandbox.view ? { sandbox: sandbox.view } : {}),
    sandboxState: sandbox.state,
    ...(prometheus.view ? { prometheus: prometheus.view } : {}),
    prometheusState: prometheus.state,
    recent: options.feed.recent(RECENT_SHOWN),
    cluster: UPSTREAM_CLUSTER,
  });
  return { status: 200, headers: { "cache-control": "no-store" }, body };
}

export function dashboardRoutes(options: DashboardOptions): RouteGroup {
  const html = asset("./page.html");
  const script = asset("./page.js");
  return {
    guard: localOnly,
    routes: [
      {
        method: "GET",
        path: "/dashboard",
        handle: async () => ({
          status: 200,
          type: "text/html; charset=utf-8",
          headers: {
            "content-security-policy":
              "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
          },
          body: html,
        }),
      },
      {
        method: "GET",
        path: "/dashboard/page.js",
        handle: async () => ({ status: 200, type: "text/javascript; charset=utf-8", body: script }),
      },
      { method: "GET", path: "/dashboard/api/snapshot", handle: () => snapshot(options) },
      {
        method: "POST",
        path: "/dashboard/api/endpoints/:name",
        handle: async (req) => {
          const mode = jsonBody(req.body)?.mode;
          if (typeof mode !== "string" || !MODES.includes(mode))
            return { status: 400, body: { error: 'mode must be "healthy", "slow" or "failing"' } };
          return forward(options.controlUrl, `/endpoints/${encodeURIComponent(req.params.name ?? "")}`, { mode });
        },
      },
      {
        method: "POST",
        path: "/dashboard/api/traffic",
        handle: async (req) => {
          const running = jsonBody(req.body)?.running;
          if (typeof running !== "boolean") return { status: 400, body: { error: "running must be true or false" } };
          return forward(options.controlUrl, "/traffic", { running });
        },
      },
    ],
  };
}
