// When Redis decided each rate-limit call, on Redis's own clock: a MONITOR connection records every
// EVALSHA/EVAL a client sends (Redis runs scripts one at a time, in that order, and the script reads
// the same clock), with the bucket keys it charges. A load test judges the limiter against these
// instants instead of the load generator's send and answer times, which on a busy machine are
// hundreds of ms away from the decision.
import { connect, type Socket } from "node:net";

export interface RedisDecision {
  /** Redis's clock when the call ran, ms (fractional). */
  atMs: number;
  /** The bucket keys the call charged (KEYS 1, 4, 7, …: see redis-script.ts). */
  buckets: string[];
}

export interface DecisionRecorder {
  /** Calls recorded so far whose buckets include one ending in `suffix`, in Redis's order. */
  decisions(suffix: string): RedisDecision[];
  /** Resolves once every command Redis ran before this call has been recorded: it sends a marker
   *  on another connection and waits for MONITOR to echo it (Redis reports commands in order). */
  flush(timeoutMs?: number): Promise<void>;
  stop(): void;
}

/** The quoted arguments of a MONITOR line (`+1733.1 [0 127.0.0.1:5000] "EVALSHA" "…" …`). */
function monitorLine(line: string): { atMs: number; client: string; args: string[] } | undefined {
  const head = /^\+(\d+)\.(\d+) \[\d+ ([^\]]+)\] /.exec(line);
  if (!head) return undefined;
  const args = [...line.slice(head[0].length).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
    (m[1] as string).replace(/\\(.)/g, "$1"),
  );
  return { atMs: Number(head[1]) * 1000 + Number(head[2]) / 1000, client: head[3] as string, args };
}

function decisionOf(args: string[]): RedisDecision["buckets"] | undefined {
  const command = args[0]?.toUpperCase();
  if (command !== "EVALSHA" && command !== "EVAL") return undefined;
  const keys = args.slice(3, 3 + Number(args[2]));
  return keys.filter((_, i) => i % 3 === 0);
}

/** Sends ECHO `marker` to Redis on a connection of its own. */
function echo(port: number, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(`ECHO ${marker}\r\n`));
    socket.once("data", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", reject);
  });
}

export function recordDecisions(port: number): Promise<DecisionRecorder> {
  const recorded: RedisDecision[] = [];
  const markers = new Map<string, () => void>();
  let flushes = 0;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: "127.0.0.1", port });
    let pending = "";
    let started = false;
    socket.setEncoding("utf8");
    socket.on("error", (err) => (started ? undefined : reject(err)));
    socket.on("data", (chunk: string) => {
      pending += chunk;
      let end = pending.indexOf("\r\n");
      while (end !== -1) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        end = pending.indexOf("\r\n");
        if (!started) {
          if (line !== "+OK") return reject(new Error(`MONITOR refused: ${line}`));
          started = true;
          resolve({
            decisions: (suffix) => recorded.filter((d) => d.buckets.some((b) => b.endsWith(suffix))),
            flush: async (timeoutMs = 15_000) => {
              const marker = `mw-monitor-flush-${++flushes}`;
              const seen = new Promise<void>((done) => markers.set(marker, done));
              await echo(port, marker);
              let timer: NodeJS.Timeout | undefined;
              const late = new Promise<never>((_, fail) => {
                timer = setTimeout(
                  () => fail(new Error(`MONITOR did not echo ${marker} in ${timeoutMs} ms`)),
                  timeoutMs,
                );
              });
              await Promise.race([seen, late]).finally(() => clearTimeout(timer));
            },
            stop: () => socket.destroy(),
          });
          continue;
        }
        const parsed = monitorLine(line);
        if (!parsed || parsed.client === "lua") continue; // commands a script ran are part of its call
        if (parsed.args[0]?.toUpperCase() === "ECHO") markers.get(parsed.args[1] ?? "")?.();
        const buckets = decisionOf(parsed.args);
        if (buckets) recorded.push({ atMs: parsed.atMs, buckets });
      }
    });
    socket.write("MONITOR\r\n");
  });
}
