// CLI entry: `meshward-authz [--config file.yaml] [flags]` (`--help` lists them).
// Prints one JSON line `{"event":"listening",...}` once serving, so scripts can read the ports.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HELP, loadConfig, parseCommandLine } from "./config/load.ts";
import type { AuthzConfig } from "./config/schema.ts";
import type { RiskAssessor } from "./risk-enricher.ts";
import { startAuthzServer } from "./server.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The risk engine module, loaded only when configured. Imported by URL so the authz server builds
 *  and runs without it (the engine lives in authz-server/src/risk/, developed on its own). */
interface RiskModule {
  createRiskEngine(options: { config?: unknown; redis?: { url: string } }): RiskAssessor;
}

async function riskEngine(risk: NonNullable<AuthzConfig["risk"]>): Promise<RiskAssessor> {
  const module = (await import(new URL("./risk/index.ts", import.meta.url).href)) as RiskModule;
  return module.createRiskEngine({ config: risk.config, ...(risk.redisUrl ? { redis: { url: risk.redisUrl } } : {}) });
}

async function main(): Promise<void> {
  const commandLine = parseCommandLine(process.argv.slice(2));
  if (commandLine.help) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig(commandLine, process.env, repoRoot);
  const server = await startAuthzServer(config, config.risk ? { risk: await riskEngine(config.risk) } : {});
  const status = server.policy.bundleStatus;
  process.stdout.write(
    `${JSON.stringify({ event: "listening", grpcPort: server.grpcPort, httpPort: server.httpPort, bundle: status.source, revision: status.revision })}\n`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${JSON.stringify({ event: "stopping", signal })}\n`);
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
