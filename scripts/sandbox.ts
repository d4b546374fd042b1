// `npm start`: the local mesh — real Envoy with ext_authz and Meshward's filters (each one that is
// built; a line says which are absent), the authz server on the default bundle with the risk engine
// and the live page, three sample endpoints behind one override-host cluster, a control API (make an
// endpoint slow or failing, start/stop the traffic generator), and Prometheus scraping the authz
// server and Envoy with Meshward's rules loaded (alerts on the live page) — until Ctrl-C stops
// everything.
// Options: --port N (Envoy listener, default 10000; 0 = any free port); --alert-time-scale N (the
// rules' windows and `for:` durations divided by N, default 10, 1 = production timing).
import { join } from "node:path";
import { startAuthzProcess } from "./lib/authz-process.ts";
import { stopAll } from "./lib/processes.ts";
import { type RunningPrometheus, startPrometheus } from "./lib/prometheus.ts";
import { type SampleUpstream, startSampleUpstream } from "./lib/sample-upstream.ts";
import { repoRoot } from "./lib/tools.ts";
import { type ControlTargets, startControlApi } from "./sandbox/control-api.ts";
import { chooseFilters } from "./sandbox/filters.ts";
import { startMeshEnvoy } from "./sandbox/mesh-envoy.ts";
import { sandboxIntervalMs, sandboxPrometheusFiles } from "./sandbox/prometheus-config.ts";
import { TrafficGenerator } from "./sandbox/traffic.ts";

const ENDPOINTS = ["sample-app-1", "sample-app-2", "sample-app-3"];
/** The generator's fixed rate and how long it runs before stopping by itself. */
const TRAFFIC_RATE_PER_SECOND = 20;
const TRAFFIC_MAX_DURATION_MS = 10 * 60_000;
/** How much faster than in production the sandbox's alert rules fire and resolve. */
const DEFAULT_ALERT_TIME_SCALE = 10;
/** The sandbox Prometheus keeps this much history (in its temporary directory). */
const PROMETHEUS_RETENTION = "2h";

function option(name: string, fallback: number, min: number, max: number, what: string): number {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`sandbox: ${name} needs ${what}`);
    process.exit(2);
  }
  return value;
}

/** Prometheus on loopback scraping the authz server and Envoy, or the reason it is not running
 *  (the sandbox runs on without it, as without a filter that is not built). */
async function startSandboxPrometheus(
  authzHttpPort: number,
  envoyAdminUrl: string,
  timeScale: number,
): Promise<RunningPrometheus | string> {
  const { config, files } = sandboxPrometheusFiles(
    { authz: `127.0.0.1:${authzHttpPort}`, envoyAdmin: new URL(envoyAdminUrl).host },
    timeScale,
  );
  try {
    return await startPrometheus({ config, files, args: [`--storage.tsdb.retention.time=${PROMETHEUS_RETENTION}`] });
  } catch (err) {
    return (err as Error).message.split("\n")[0] as string;
  }
}

async function main(): Promise<void> {
  const port = option("--port", 10000, 0, 65535, "a port number");
  const timeScale = option("--alert-time-scale", DEFAULT_ALERT_TIME_SCALE, 1, 3600, "a whole number 1..3600");
  const endpoints: SampleUpstream[] = [];
  for (const name of ENDPOINTS) endpoints.push(await startSampleUpstream(name));
  const filters = chooseFilters(repoRoot);
  for (const f of filters) {
    console.log(
      f.spec ? `sandbox: filter ${f.name} loaded (${f.note})` : `sandbox: filter ${f.name} absent — ${f.note}`,
    );
  }
  const targets: ControlTargets = {
    endpoints,
    envoy: { listener: "", adminUrl: "" },
    filters: filters.map((f) => ({ name: f.name, loaded: f.spec !== undefined, note: f.note })),
  };
  const control = await startControlApi(targets);
  const authz = await startAuthzProcess(
    ["--config", join(repoRoot, "scripts/sandbox/authz-sandbox.yaml"), "--dashboard-control", control.url],
    { echo: true },
  );
  const envoy = await startMeshEnvoy({
    listenerPort: port,
    upstreams: endpoints.map((u) => ({ host: "127.0.0.1", port: u.port })),
    authzGrpcPort: authz.grpcPort,
    filters,
    echo: true,
    log: (line) => console.log(line),
  });
  const base = `http://127.0.0.1:${envoy.listenerPort}`;
  targets.envoy = { listener: base, adminUrl: envoy.adminUrl };
  targets.filters = filters.map((f) => ({ name: f.name, loaded: f.spec !== undefined, note: f.note }));
  targets.traffic = new TrafficGenerator({
    target: base,
    ratePerSecond: TRAFFIC_RATE_PER_SECOND,
    maxDurationMs: TRAFFIC_MAX_DURATION_MS,
    random: Math.random,
  });
  const prometheus = await startSandboxPrometheus(authz.httpPort, envoy.adminUrl, timeScale);
  if (typeof prometheus === "string") console.log(`sandbox: prometheus absent — ${prometheus}`);
  else {
    targets.prometheusUrl = prometheus.url;
    targets.alertTimeScale = timeScale;
  }
  const page = `http://127.0.0.1:${authz.httpPort}/dashboard`;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nsandbox: stopping traffic, Prometheus, Envoy, authz server, control API and endpoints…");
    targets.traffic?.stop();
    if (typeof prometheus !== "string") await prometheus.stop();
    await envoy.stop();
    await authz.stop();
    await control.close();
    await Promise.all(endpoints.map((u) => u.close()));
    await stopAll();
    console.log("sandbox: stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  const loaded = filters.filter((f) => f.spec).map((f) => f.name);
  const interval = sandboxIntervalMs(timeScale) / 1000;
  const prometheusLine =
    typeof prometheus === "string"
      ? `absent (${prometheus})`
      : `${prometheus.url}   (HTTP API, no web UI: /api/v1/alerts, /api/v1/rules, /api/v1/targets; alerts on the live page)
                   scrapes every ${interval} s; Meshward's rules run ${timeScale}× faster than in production (--alert-time-scale)`;
  console.log(`
Meshward sandbox is up.
  live page        ${page}
  Envoy listener   ${base}
  Envoy admin      ${envoy.adminUrl}   (try /stats/prometheus or /clusters)
  authz            gRPC 127.0.0.1:${authz.grpcPort}, HTTP http://127.0.0.1:${authz.httpPort} (/metrics, /status)
  endpoints        ${endpoints.map((u) => `${u.name} 127.0.0.1:${u.port}`).join(", ")}
  filters          ${loaded.length > 0 ? loaded.join(", ") : "none"}
  control API      ${control.url}/state
  prometheus       ${prometheusLine}

Try:
  curl -i ${base}/public/hello      # allowed by the default policy → 200 from one of the endpoints
  curl -i ${base}/private/data      # denied by the policy → 403
  open ${page} to watch decisions, risk levels and endpoint picks, slow an endpoint, start traffic,
    and see alerts fire (make an endpoint failing: MeshwardAdaptiveLbEjections)
Press Ctrl-C to stop.
sandbox: ready ${JSON.stringify({ listener: base, admin: envoy.adminUrl, authzGrpcPort: authz.grpcPort, authzHttp: `http://127.0.0.1:${authz.httpPort}`, page, control: control.url, filters: loaded, prometheus: typeof prometheus === "string" ? null : prometheus.url, alertTimeScale: timeScale })}`);
}

main().catch(async (err: Error) => {
  console.error(`sandbox: ${err.message}`);
  await stopAll();
  process.exit(1);
});
