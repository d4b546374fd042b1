// Starts a real Prometheus (the one the bootstrap provides) on a kernel-chosen loopback port with a
// given configuration (and the files it names, e.g. rule files, next to it) and its own throwaway
// TSDB directory; resolves once /-/ready answers 200.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ManagedProcess, startProcess } from "./processes.ts";
import { prometheusBinary } from "./tools.ts";

export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** prometheus.yml text; default: no scrape jobs. */
  config?: string;
  /** Further files written next to prometheus.yml (name → text), which it names relatively. */
  files?: Record<string, string>;
  /** Extra flags, e.g. `--web.enable-lifecycle`. */
  args?: string[];
  binary?: string;
  echo?: boolean;
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "meshward-prometheus-"));
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, options.config ?? "global:\n  scrape_interval: 15s\n");
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), text);
  // biome-ignore format: one flag and its value per line
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    "--web.listen-address=127.0.0.1:0",
    ...(options.args ?? []),
  ];
  const proc = startProcess("prometheus", options.binary ?? prometheusBinary(), args, { echo: options.echo ?? false });
  const cleanUp = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // The web listener logs its real address once bound (port 0 chosen by the kernel).
    const line = await proc.waitForLine(/msg="Listening on".*address=127\.0\.0\.1:\d+/, 30_000);
    const port = Number(/address=127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
    const url = `http://127.0.0.1:${port}`;
    await proc.waitForLine(/Server is ready to receive web requests/, 30_000);
    const ready = await fetch(`${url}/-/ready`);
    await ready.arrayBuffer();
    if (ready.status !== 200) throw new Error(`prometheus: /-/ready answered ${ready.status}`);
    return { url, process: proc, stop: cleanUp };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
