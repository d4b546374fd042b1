// The multi-process mode's primary: forks the workers (each a whole authz server, node:cluster
// sharing the gRPC and HTTP listeners: the primary accepts connections and hands them round robin
// to the workers), prints one `listening` line once every worker serves, replaces a worker that
// dies, answers /metrics collections (metrics-ipc.ts), and on SIGTERM/SIGINT stops the workers
// gracefully. It serves no checks itself.
//
// Connections, not requests, are balanced: Envoy keeps one HTTP/2 connection per worker thread and
// upstream host, so a server behind many Envoys gets many connections and every worker a share; a
// single client connection is served by one worker.
import cluster, { type Worker } from "node:cluster";
import { primaryMetrics } from "./metrics-ipc.ts";
import type { WorkerPlan } from "./worker-count.ts";

/** What a worker tells the primary once it serves (the ports are shared, so all report the same). */
export interface ListeningMessage {
  mw: "listening";
  grpcPort: number;
  httpPort: number;
  bundle?: string;
  revision?: string;
}

const STOP_GRACE_MS = 20_000;
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;

function line(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

export async function runPrimary(plan: WorkerPlan): Promise<void> {
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const onMetrics = primaryMetrics(live);
  let started = false;
  let stopping = false;
  let restartDelay = RESTART_MIN_MS;

  const firstListening = new Promise<ListeningMessage>((resolve, reject) => {
    let ready = 0;
    cluster.on("message", (worker, message: unknown) => {
      onMetrics(worker, message);
      if ((message as ListeningMessage)?.mw !== "listening") return;
      if (!started && ++ready === plan.workers) resolve(message as ListeningMessage);
      if (started) {
        restartDelay = RESTART_MIN_MS; // a replacement came up
        line({ event: "worker_ready", pid: worker.process.pid });
      }
    });
    cluster.on("exit", (worker, code, signal) => {
      if (stopping) return;
      if (!started) {
        reject(new Error(`worker ${worker.process.pid} exited during start-up (code ${code}, signal ${signal})`));
        return;
      }
      line({ event: "worker_exit", pid: worker.process.pid, code, signal, restartInMs: restartDelay });
      setTimeout(() => {
        if (!stopping) cluster.fork();
      }, restartDelay).unref();
      restartDelay = Math.min(RESTART_MAX_MS, restartDelay * 2);
    });
  });

  for (let i = 0; i < plan.workers; i++) cluster.fork();
  let first: ListeningMessage;
  try {
    first = await firstListening;
  } catch (err) {
    stopping = true;
    for (const w of live()) w.process.kill("SIGTERM");
    throw err;
  }
  started = true;
  line({
    event: "listening",
    grpcPort: first.grpcPort,
    httpPort: first.httpPort,
    bundle: first.bundle,
    revision: first.revision,
    workers: plan.workers,
    workersReason: plan.reason,
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    line({ event: "stopping", signal });
    const workers = live();
    if (workers.length === 0) process.exit(0);
    let left = workers.length;
    cluster.on("exit", () => {
      if (--left === 0) process.exit(0);
    });
    for (const w of workers) w.process.kill("SIGTERM");
    setTimeout(() => {
      for (const w of live()) w.process.kill("SIGKILL");
      process.exit(0);
    }, STOP_GRACE_MS).unref();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}
