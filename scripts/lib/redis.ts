// Starts a real redis-server (the one the bootstrap provides: scripts/lib/tools.ts) on a free
// loopback port for tests and benchmarks: no persistence, loopback only, stopped with the test (see
// processes.ts).
import { createServer } from "node:net";
import { type ManagedProcess, startProcess } from "./processes.ts";
import { redisServerBinary } from "./tools.ts";

export interface RunningRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly process: ManagedProcess;
  /** Stops the server; `kill: true` sends SIGKILL at once (a crash, not a shutdown). */
  stop(options?: { kill?: boolean }): Promise<void>;
}

export interface RedisOptions {
  /** Reuse a port (to bring a killed server back where clients reconnect); default: a free one. */
  port?: number;
  echo?: boolean;
}

/** A port the kernel just handed out on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server and waits for "Ready to accept connections". Without a fixed port, a port
 * taken by someone else between `freePort()` and the bind is retried (three attempts).
 */
export async function startRedis(options: RedisOptions = {}): Promise<RunningRedis> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(options.port ?? (await freePort()), options);
    } catch (err) {
      if (options.port !== undefined || attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
    }
  }
}

async function startOn(port: number, options: RedisOptions): Promise<RunningRedis> {
  // biome-ignore format: one flag and its value per line
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--save", "",
    "--appendonly", "no",
    "--daemonize", "no",
    "--protected-mode", "yes",
    "--loglevel", "notice",
  ];
  const proc = startProcess(`redis:${port}`, redisServerBinary(), args, { echo: options.echo ?? false });
  try {
    await proc.waitForLine(/Ready to accept connections/, 15_000);
  } catch (err) {
    await proc.stop(0);
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: proc,
    async stop({ kill = false } = {}) {
      if (kill) proc.child.kill("SIGKILL");
      await proc.stop();
    },
  };
}
