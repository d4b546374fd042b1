// CLI entry: `meshward-authz [--grpc-port N] [--bundle file.tar.gz] ...`.
// Prints one JSON line `{"event":"listening",...}` once serving, so scripts can read the ports.
import { parseArgs } from "./config.ts";
import { startAuthzServer } from "./server.ts";

async function main(): Promise<void> {
  const config = parseArgs(process.argv.slice(2));
  const server = await startAuthzServer(config);
  const status = server.policy.bundleStatus;
  process.stdout.write(
    `${JSON.stringify({ event: "listening", grpcPort: server.grpcPort, bundle: status.source, revision: status.revision })}\n`,
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
