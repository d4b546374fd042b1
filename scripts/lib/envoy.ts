// Starts a real Envoy (the pinned binary from .tools/) on a generated config and talks to its admin
// API. Ports are chosen by the kernel (port 0) and read back from the admin API.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type ManagedProcess, startProcess } from "./processes.ts";
import { envoyBinary } from "./tools.ts";

export interface RunningEnvoy {
  process: ManagedProcess;
  adminUrl: string;
  /** Port of the first listener ("ingress"). */
  listenerPort: number;
  /** Flat counters and gauges from /stats, e.g. "http.ingress.ext_authz.ok". */
  stats(): Promise<Map<string, number>>;
  adminText(path: string): Promise<string>;
  stop(): Promise<void>;
}

export interface EnvoyOptions {
  concurrency?: number;
  /** Extra log levels, e.g. "wasm:info". */
  componentLogLevel?: string;
  echo?: boolean;
  startTimeoutMs?: number;
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  proc: ManagedProcess,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null)
      throw new Error(`envoy exited while waiting for ${what}:\n${proc.output().slice(-6000)}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`envoy: ${what} not reached in ${timeoutMs} ms:\n${proc.output().slice(-6000)}`);
    await sleep(50);
  }
}

export async function startEnvoy(config: Record<string, unknown>, options: EnvoyOptions = {}): Promise<RunningEnvoy> {
  const dir = mkdtempSync(join(tmpdir(), "meshward-envoy-"));
  const configPath = join(dir, "envoy.json");
  const adminPath = join(dir, "admin-address");
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const args = [
    "-c",
    configPath,
    "--admin-address-path",
    adminPath,
    "--concurrency",
    String(options.concurrency ?? 2),
    "--disable-hot-restart",
    "-l",
    "warning",
    "--component-log-level",
    options.componentLogLevel ?? "wasm:info",
  ];
  const proc = startProcess("envoy", envoyBinary(), args, { echo: options.echo ?? false });
  const timeout = options.startTimeoutMs ?? 30_000;
  try {
    const admin = await waitFor(
      "admin address",
      timeout,
      async () => (existsSync(adminPath) ? readFileSync(adminPath, "utf8").trim() || undefined : undefined),
      proc,
    );
    const adminUrl = `http://${admin}`;
    await waitFor("LIVE state", timeout, async () => ((await fetch(`${adminUrl}/ready`)).ok ? true : undefined), proc);
    const listenerPort = await waitFor(
      "listener port",
      timeout,
      async () => {
        const body = (await (await fetch(`${adminUrl}/listeners?format=json`)).json()) as {
          listener_statuses?: { name: string; local_address?: { socket_address?: { port_value?: number } } }[];
        };
        return body.listener_statuses?.find((l) => l.name === "ingress")?.local_address?.socket_address?.port_value;
      },
      proc,
    );
    const adminText = async (path: string) => (await fetch(`${adminUrl}${path}`)).text();
    return {
      process: proc,
      adminUrl,
      listenerPort,
      adminText,
      async stats() {
        const out = new Map<string, number>();
        for (const line of (await adminText("/stats")).split("\n")) {
          const m = /^([^:]+): (\d+)$/.exec(line);
          if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
        }
        return out;
      },
      async stop() {
        await proc.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
