// `npm start`: the local sandbox — real Envoy with Meshward's filter and ext_authz, the authz server
// on its built-in default policy, and a sample upstream — until Ctrl-C stops everything.
// Options: --port N (Envoy listener, default 10000; 0 = any free port).
import { join } from "node:path";
import { startAuthzProcess } from "./lib/authz-process.ts";
import { startEnvoy } from "./lib/envoy.ts";
import { meshEnvoyConfig } from "./lib/envoy-config.ts";
import { stopAll } from "./lib/processes.ts";
import { startSampleUpstream } from "./lib/sample-upstream.ts";
import { repoRoot } from "./lib/tools.ts";

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
  const upstream = await startSampleUpstream("sample-app");
  const authz = await startAuthzProcess([], { echo: true });
  const envoy = await startEnvoy(
    meshEnvoyConfig({
      listenerPort: port,
      upstreams: [{ host: "127.0.0.1", port: upstream.port }],
      extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port: authz.grpcPort } },
      wasmFilters: [
        { name: "adaptive-lb", rootId: "adaptive-lb", wasmPath: join(repoRoot, "build/filters/adaptive-lb.wasm") },
      ],
    }),
    { echo: true },
  );
  const base = `http://127.0.0.1:${envoy.listenerPort}`;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nsandbox: stopping Envoy, authz server and upstream…");
    await envoy.stop();
    await authz.stop();
    await upstream.close();
    await stopAll();
    console.log("sandbox: stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  console.log(`
Meshward sandbox is up.
  Envoy listener   ${base}
  Envoy admin      ${envoy.adminUrl}   (try /stats?filter=ext_authz or /stats/prometheus)
  authz (gRPC)     127.0.0.1:${authz.grpcPort}
  upstream         http://127.0.0.1:${upstream.port}

Try:
  curl -i ${base}/public/hello      # allowed by the default policy → 200 from the upstream, x-meshward header
  curl -i ${base}/private/data      # denied by the policy → 403
Press Ctrl-C to stop.
sandbox: ready ${JSON.stringify({ listener: base, admin: envoy.adminUrl, authzGrpcPort: authz.grpcPort })}`);
}

main().catch(async (err: Error) => {
  console.error(`sandbox: ${err.message}`);
  await stopAll();
  process.exit(1);
});
