// The live page as a fastify plugin on the authz server's HTTP listener (registered by server.ts when
// `dashboard.enabled`):
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
import type { FastifyInstance, FastifyReply } from "fastify";
import { parseJsonStrict } from "../json/untrusted-json.ts";
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
function jsonBody(body: unknown): Record<string, unknown> | undefined {
  try {
    const value: unknown = parseJsonStrict(Buffer.isBuffer(body) ? body.toString("utf8") : String(body));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

async function forward(reply: FastifyReply, controlUrl: string | undefined, path: string, body: unknown) {
  if (!controlUrl) return reply.code(501).send({ error: "no sandbox control API configured (dashboard.controlUrl)" });
  try {
    const response = await fetch(`${controlUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(SOURCE_TIMEOUT_MS),
    });
    return reply
      .code(response.status)
      .type("application/json")
      .send(await response.text());
  } catch (err) {
    return reply.code(502).send({ error: describe(err) });
  }
}

export function dashboardPlugin(options: DashboardOptions) {
  const html = asset("./page.html");
  const script = asset("./page.js");
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook("onRequest", async (req, reply) => {
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value.join(",") : value;
      };
      const problem = localRequestProblem(
        {
          method: req.method,
          host: header("host"),
          origin: header("origin"),
          contentType: header("content-type"),
          secFetchSite: header("sec-fetch-site"),
        },
        req.socket.localPort ?? 0,
        { allowBrowser: true },
      );
      if (problem) return reply.code(403).send({ error: problem });
    });
    app.get("/dashboard", async (_req, reply) =>
      reply
        .type("text/html; charset=utf-8")
        .header(
          "content-security-policy",
          "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
        )
        .send(html),
    );
    app.get("/dashboard/page.js", async (_req, reply) => reply.type("text/javascript; charset=utf-8").send(script));
    app.get("/dashboard/api/snapshot", async (_req, reply) => {
      const sandbox = await sandboxView(options.controlUrl);
      const [envoy, prometheus] = await Promise.all([
        envoyStats(options.envoyAdminUrl ?? (sandbox.view?.envoyAdminUrl || undefined)),
        prometheusStatus(sandbox.view?.prometheusUrl || undefined),
      ]);
      const snapshot = buildSnapshot({
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
      return reply.header("cache-control", "no-store").send(snapshot);
    });
    app.post<{ Params: { name: string } }>("/dashboard/api/endpoints/:name", async (req, reply) => {
      const mode = jsonBody(req.body)?.mode;
      if (typeof mode !== "string" || !MODES.includes(mode))
        return reply.code(400).send({ error: 'mode must be "healthy", "slow" or "failing"' });
      return forward(reply, options.controlUrl, `/endpoints/${encodeURIComponent(req.params.name)}`, { mode });
    });
    app.post("/dashboard/api/traffic", async (req, reply) => {
      const running = jsonBody(req.body)?.running;
      if (typeof running !== "boolean") return reply.code(400).send({ error: "running must be true or false" });
      return forward(reply, options.controlUrl, "/traffic", { running });
    });
  };
}
