// Bounded closed-loop load on 127.0.0.1 for the traffic-shaper e2e tests: `concurrency` loops,
// each sending one request after the other until `durationMs` has passed since the start, then
// stopping by themselves. Every response is recorded with its send time and latency.
import { setTimeout as sleep } from "node:timers/promises";

export interface Sample {
  loop: number;
  /** ms since the run started, when the request was sent. */
  sentMs: number;
  latencyMs: number;
  status: number;
  headers: Headers;
}

export interface LoadSpec {
  /** The URL, or loop `i`'s URL (several Envoys). */
  url: string | ((loop: number) => string);
  concurrency: number;
  durationMs: number;
  /** Request headers of loop `i`. */
  headers?: (loop: number) => Record<string, string>;
  /** Pause after a non-2xx answer (keeps refused traffic from spinning the CPU). */
  backoffMs?: number;
  /** Each loop starts a request at most every `paceMs` (caps the offered load, and the CPU it costs). */
  paceMs?: number;
}

export interface LoadResult {
  samples: Sample[];
  /** ms from the first send to the last send. */
  spanMs: number;
  errors: number;
}

export async function closedLoop(spec: LoadSpec): Promise<LoadResult> {
  const samples: Sample[] = [];
  let errors = 0;
  const start = performance.now();
  const loop = async (i: number) => {
    const headers = spec.headers?.(i) ?? {};
    const url = typeof spec.url === "string" ? spec.url : spec.url(i);
    while (performance.now() - start < spec.durationMs) {
      const sent = performance.now();
      try {
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        samples.push({
          loop: i,
          sentMs: sent - start,
          latencyMs: performance.now() - sent,
          status: res.status,
          headers: res.headers,
        });
        if (res.status >= 300 && spec.backoffMs) await sleep(spec.backoffMs);
        const idle = (spec.paceMs ?? 0) - (performance.now() - sent);
        if (idle > 0) await sleep(idle);
      } catch {
        errors++;
        await sleep(10);
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => loop(i)));
  const sends = samples.map((s) => s.sentMs);
  return { samples, spanMs: sends.length > 0 ? Math.max(...sends) - Math.min(...sends) : 0, errors };
}

/** Nearest-rank percentile of `values` (p in (0, 1]). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}
