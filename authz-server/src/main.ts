// CLI entry: `meshward-authz [--config file.yaml] [flags]` (`--help` lists them).
// Prints one JSON line `{"event":"listening",...}` once serving, so scripts can read the ports.
// With several workers (config `workers`, cluster/) this process becomes their primary.
import cluster from "node:cluster";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ServerDependencies, startAuthzServer } from "./app/server.ts";
import { workerMetrics } from "./cluster/metrics-ipc.ts";
import { availableCpus, planWorkers } from "./cluster/worker-count.ts";
import { HELP, loadConfig, parseCommandLine } from "./config/load.ts";
import type { AuthzConfig } from "./config/schema.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The risk runtime (engine, metrics and log hooks, admin events), loaded only when configured. */
async function riskRuntime(risk: NonNullable<AuthzConfig["risk"]>): Promise<ServerDependencies["riskRuntime"]> {
  const { createRiskRuntime } = await import("./app/risk-runtime.ts");
  return (context) => createRiskRuntime(risk, context);
}

async function main(): Promise<void> {
  const commandLine = parseCommandLine(process.argv.slice(2));
  if (commandLine.help) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig(commandLine, process.env, repoRoot);
  if (cluster.isPrimary) {
    const plan = planWorkers(config, availableCpus());
    if (plan.workers > 1) {
      const { runPrimary } = await import("./cluster/primary.ts");
      await runPrimary(plan);
      return;
    }
  }
  const deps: ServerDependencies = config.risk ? { riskRuntime: await riskRuntime(config.risk) } : {};
  if (cluster.isWorker) {
    deps.aggregateMetrics = (metrics) => workerMetrics(metrics.registry);
    deps.workers = planWorkers(config, availableCpus()).workers;
  }
  const server = await startAuthzServer(config, deps);
  const status = server.policy.bundleStatus;
  const listening = {
    grpcPort: server.grpcPort,
    httpPort: server.httpPort,
    rateLimitPort: server.rateLimitPort,
    bundle: status.source,
    revision: status.revision,
  };
  if (cluster.isWorker) process.send?.({ mw: "listening", ...listening });
  else process.stdout.write(`${JSON.stringify({ event: "listening", ...listening })}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!cluster.isWorker) process.stdout.write(`${JSON.stringify({ event: "stopping", signal })}\n`);
    await server.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err: Error & { code?: string }) => {
  process.stderr.write(`meshward-authz: ${err.code ? `${err.code}: ` : ""}${err.message}\n`);
  process.exit(1);
});
