// `npm start`: the local mesh — real Envoy with ext_authz and Meshward's filters (each one that is
// built; a line says which are absent) and global rate limits, the authz server on the default
// bundle with the risk engine, the RateLimitService and the live page, three sample endpoints behind one override-host cluster, a control API (make an
// endpoint slow or failing, start/stop the traffic generator) — until Ctrl-C stops everything.
// Options: --port N (Envoy listener, default 10000; 0 = any free port).
import { join } from "node:path";
import { startAuthzProcess } from "./lib/authz-process.ts";
import { stopAll } from "./lib/processes.ts";
import { type SampleUpstream, startSampleUpstream } from "./lib/sample-upstream.ts";
import { repoRoot } from "./lib/tools.ts";
import { type ControlTargets, startControlApi } from "./sandbox/control-api.ts";
import { chooseFilters } from "./sandbox/filters.ts";
import { startMeshEnvoy } from "./sandbox/mesh-envoy.ts";
import { TrafficGenerator } from "./sandbox/traffic.ts";

const ENDPOINTS = ["sample-app-1", "sample-app-2", "sample-app-3"];
/** The generator's fixed rate and how long it runs before stopping by itself. */
const TRAFFIC_RATE_PER_SECOND = 20;
const TRAFFIC_MAX_DURATION_MS = 10 * 60_000;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`sandbox: ${name} needs a port number`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const port = option("--port", 10000);
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
  const page = `http://127.0.0.1:${authz.httpPort}/dashboard`;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nsandbox: stopping traffic, Envoy, authz server, control API and endpoints…");
    targets.traffic?.stop();
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
  console.log(`
Meshward sandbox is up.
  live page        ${page}
  Envoy listener   ${base}
  Envoy admin      ${envoy.adminUrl}   (try /stats/prometheus or /clusters)
  authz            gRPC 127.0.0.1:${authz.grpcPort}, HTTP http://127.0.0.1:${authz.httpPort} (/metrics, /status)
  endpoints        ${endpoints.map((u) => `${u.name} 127.0.0.1:${u.port}`).join(", ")}
  filters          ${loaded.length > 0 ? loaded.join(", ") : "none"}
  control API      ${control.url}/state

Try:
  curl -i ${base}/public/hello      # allowed by the default policy → 200 from one of the endpoints
  curl -i ${base}/private/data      # denied by the policy → 403
  for i in $(seq 120); do curl -s -o /dev/null -w '%{http_code} ' ${base}/public/hello; done   # global limit → 429s

  open ${page} to watch decisions, risk levels and endpoint picks, slow an endpoint, start traffic
Press Ctrl-C to stop.
sandbox: ready ${JSON.stringify({ listener: base, admin: envoy.adminUrl, authzGrpcPort: authz.grpcPort, authzHttp: `http://127.0.0.1:${authz.httpPort}`, page, control: control.url, filters: loaded })}`);
}

main().catch(async (err: Error) => {
  console.error(`sandbox: ${err.message}`);
  await stopAll();
  process.exit(1);
});
