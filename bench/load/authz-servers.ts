// The ext_authz servers the gRPC tier loads, each started as its own process on loopback: Meshward
// (this checkout, or another one for an A/B against an older commit) with decision logs off or on,
// and the peer opa-envoy-plugin from a binary the user supplies (the Go module proxy refuses its
// module, so the benchmark cannot install it; bench/README.md says how to build it). Both serve the
// same Rego (policy/default/envoy/authz.rego; Meshward runs it compiled to Wasm from the default
// bundle) at the same entrypoint, envoy/authz/allow.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type ManagedProcess, startProcess } from "../../scripts/lib/processes.ts";
import { freePort } from "../../scripts/lib/redis.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { treeCpuTicks } from "../lib/proc-cpu.ts";

export interface RunningServer {
  /** host:port of the gRPC listener. */
  target: string;
  /** CPU ticks used so far by the server, its worker processes included. */
  cpuTicks(): number;
  stop(): Promise<void>;
}

export interface ServerVariant {
  name: string;
  start(): Promise<RunningServer>;
}

function running(proc: ManagedProcess, port: number): RunningServer {
  return {
    target: `127.0.0.1:${port}`,
    cpuTicks: () => treeCpuTicks(proc.pid),
    stop: async () => void (await proc.stop()),
  };
}

export interface MeshwardVariantOptions {
  name: string;
  decisionLogs: boolean;
  /** Another checkout of this repository (A/B against an older commit); default this one. */
  root?: string;
  /** Extra YAML config (written to a temporary file and passed with --config). */
  configYaml?: string;
  env?: NodeJS.ProcessEnv;
  /** Worker processes; 0 or absent: as deployed, one per CPU where the config allows it. */
  workers?: number;
}

export function meshwardVariant(options: MeshwardVariantOptions): ServerVariant {
  return {
    name: options.name,
    async start() {
      const args: string[] = ["--log-level", "warn"];
      if (options.configYaml !== undefined) {
        const dir = join(repoRoot, "bench/results/tmp");
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${options.name.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
        writeFileSync(file, options.configYaml);
        args.push("--config", file);
      }
      const authz = await startAuthzProcess(args, {
        env: { MESHWARD_AUTHZ_LOGGING_DECISIONS_ENABLED: String(options.decisionLogs), ...options.env },
        // As deployed: one worker per CPU where the config allows it (an older checkout: its default).
        ...(options.root ? { root: options.root } : { workers: options.workers ?? 0 }),
      });
      return running(authz.process, authz.grpcPort);
    },
  };
}

/** opa-envoy-plugin `run --server` on the default policy, its decision log to the console or off. */
export function opaEnvoyVariant(name: string, binary: string, decisionLogs: boolean): ServerVariant {
  return {
    name,
    async start() {
      const [grpcPort, httpPort] = [await freePort(), await freePort()];
      // biome-ignore format: one flag and its value per line
      const args = [
        "run", "--server",
        "--addr", `127.0.0.1:${httpPort}`,
        "--log-level", "error",
        "--set", `plugins.envoy_ext_authz_grpc.addr=127.0.0.1:${grpcPort}`,
        "--set", "plugins.envoy_ext_authz_grpc.path=envoy/authz/allow",
        "--set", `decision_logs.console=${decisionLogs}`,
        join(repoRoot, "policy/default/envoy/authz.rego"),
      ];
      const proc = startProcess(name, binary, args, { cwd: repoRoot });
      try {
        await untilHealthy(`http://127.0.0.1:${httpPort}/health?plugins`, proc);
      } catch (err) {
        await proc.stop();
        throw err;
      }
      return running(proc, grpcPort);
    },
  };
}

/** Polls OPA's health endpoint until its plugins (the ext_authz gRPC server among them) are up. */
async function untilHealthy(url: string, proc: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited:\n${proc.output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`${proc.name}: ${url} not healthy within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
