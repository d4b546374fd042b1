// A local OCI registry (go-containerregistry's in-memory `registry`) and `crane push` of the
// layouts `npm run package` wrote: the install guide's push step, against a registry on loopback.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { type ManagedProcess, startProcess } from "../../../scripts/lib/processes.ts";
import { freePort } from "../../../scripts/lib/redis.ts";
import { craneBinary, registryBinary, repoRoot } from "../../../scripts/lib/tools.ts";
import { until } from "./istio-processes.ts";

export const IMAGES_DIR = join(repoRoot, "build/images");

export interface LocalRegistry {
  process: ManagedProcess;
  /** host:port, as image references and WASM_INSECURE_REGISTRIES name it. */
  host: string;
  /** `crane push build/images/<image> <host>/<repository>`; returns the digest the registry reports. */
  push(image: string, repository: string): string;
  stop(): Promise<void>;
}

export function crane(args: string[]): string {
  const r = spawnSync(craneBinary(), [...args, "--insecure"], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`crane ${args.join(" ")} failed: ${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

export async function startRegistry(): Promise<LocalRegistry> {
  const port = await freePort();
  const proc = startProcess("registry", registryBinary(), ["-port", String(port)]);
  const host = `127.0.0.1:${port}`;
  await until("registry answers /v2/", 30_000, async () => (await fetch(`http://${host}/v2/`)).ok, proc);
  return {
    process: proc,
    host,
    push(image, repository) {
      crane(["push", join(IMAGES_DIR, image), `${host}/${repository}`]);
      return crane(["digest", `${host}/${repository}`]);
    },
    stop: async () => void (await proc.stop()),
  };
}
