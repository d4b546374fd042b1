// Runs the authz server as its own process (as in production, with its production Node flags), on
// kernel-chosen ports.
import { join } from "node:path";
import { AUTHZ_NODE_FLAGS } from "./authz-node-flags.ts";
import { type ManagedProcess, startProcess } from "./processes.ts";
import { repoRoot } from "./tools.ts";

export interface AuthzProcess {
  process: ManagedProcess;
  grpcPort: number;
  /** HTTP listener (ext_authz HTTP mode, /healthz, /readyz, /metrics, /status). */
  httpPort: number;
  stop(): Promise<void>;
}

export async function startAuthzProcess(
  args: string[] = [],
  options: { echo?: boolean; env?: NodeJS.ProcessEnv; root?: string; workers?: number } = {},
): Promise<AuthzProcess> {
  // `workers`: one process unless asked (0 = the server's own choice, one per CPU). Tests and the
  // sandbox start several servers side by side on two cores; a `--workers` in `args` still wins.
  // Another checkout (`root`) may predate the option: it gets the flag only when asked.
  const workers = options.workers ?? (options.root ? undefined : 1);
  // `root`: another checkout of this repository (the benchmark's A/B against an older commit).
  const root = options.root ?? repoRoot;
  const proc = startProcess(
    "authz",
    process.execPath,
    [
      ...AUTHZ_NODE_FLAGS,
      "--import",
      "tsx",
      join(root, "authz-server/src/main.ts"),
      "--grpc-port",
      "0",
      "--http-port",
      "0",
      ...(workers === undefined ? [] : ["--workers", String(workers)]),
      ...args,
    ],
    { cwd: root, echo: options.echo ?? false, env: { ...process.env, ...options.env } },
  );
  try {
    // The line comes once every worker process serves (workers, authz-server/src/cluster/): on a
    // loaded 2-core machine starting three Node processes can take a while.
    const line = await proc.waitForLine(/"event":"listening"/, 60_000);
    const { grpcPort, httpPort } = JSON.parse(line) as { grpcPort: number; httpPort: number };
    return { process: proc, grpcPort, httpPort, stop: async () => void (await proc.stop()) };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}
