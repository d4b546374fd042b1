// Runs the pinned HTTP load generator `hey` (Go, installed by `npm run bootstrap -- --bench`) for a
// fixed number of requests and reads its per-request CSV: latency distribution and status codes.
import { spawn } from "node:child_process";
import { heyBinary } from "../../scripts/lib/tools.ts";
import { percentile, sortedCopy } from "./stats.ts";

export interface LoadResult {
  requests: number;
  /** Non-2xx responses and requests that got no response. */
  errors: number;
  statusCounts: Record<string, number>;
  wallSeconds: number;
  throughputRps: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
}

export interface LoadOptions {
  url: string;
  requests: number;
  concurrency: number;
  /** Per-worker rate limit (hey -q); 0 = as fast as possible. */
  qpsPerWorker?: number;
  headers?: Record<string, string>;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = ["-n", String(options.requests), "-c", String(options.concurrency), "-o", "csv", "-t", "10"];
  if (options.qpsPerWorker) args.push("-q", String(options.qpsPerWorker));
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push("-H", `${k}: ${v}`);
  args.push(options.url);
  const started = process.hrtime.bigint();
  const csv = await new Promise<string>((resolve, reject) => {
    const child = spawn(heyBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(new Error(`hey exited ${code}`)),
    );
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  for (const line of csv.split("\n").slice(1)) {
    if (!line) continue;
    const cols = line.split(",");
    latencies.push(Number(cols[0]) * 1000);
    const status = cols[6] ?? "?";
    statusCounts[status] = (statusCounts[status] ?? 0) + 1;
  }
  const answered = latencies.length;
  const ok = Object.entries(statusCounts)
    .filter(([s]) => s.startsWith("2"))
    .reduce((n, [, c]) => n + c, 0);
  const sorted = sortedCopy(latencies);
  return {
    requests: options.requests,
    errors: options.requests - ok,
    statusCounts,
    wallSeconds,
    throughputRps: answered / wallSeconds,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      max: percentile(sorted, 100),
    },
  };
}
