// A bounded closed-loop client for the e2e test: `concurrency` loops send requests to one URL
// until `total` were sent (never more), recording per request its latency, status and which
// upstream served it (the sample upstream names itself in `x-upstream`). Loopback only.
import { performance } from "node:perf_hooks";

export interface Sample {
  latencyMs: number;
  status: number;
  upstream: string;
  /** What the upstream saw in the endpoint header (its JSON echo), when it answered. */
  forwardedHeader: string | undefined;
}

export async function closedLoop(
  url: string,
  total: number,
  concurrency: number,
  headers: Record<string, string> = {},
  readEcho = false,
): Promise<Sample[]> {
  if (!url.startsWith("http://127.0.0.1:")) throw new Error(`closedLoop: loopback only, got ${url}`);
  const samples: Sample[] = [];
  let sent = 0;
  const loop = async () => {
    while (sent < total) {
      sent++;
      const start = performance.now();
      const res = await fetch(url, { headers });
      const body = await res.text();
      const latencyMs = performance.now() - start;
      let forwardedHeader: string | undefined;
      if (readEcho && res.status === 200) {
        const echo = JSON.parse(body) as { headers: Record<string, string> };
        forwardedHeader = echo.headers["x-gateway-destination-endpoint"];
      }
      samples.push({ latencyMs, status: res.status, upstream: res.headers.get("x-upstream") ?? "", forwardedHeader });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return samples;
}

/** Nearest-rank percentile (p in (0, 100]) of the latencies. */
export function percentile(samples: Sample[], p: number): number {
  const sorted = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

export function shareOf(samples: Sample[], upstream: string): number {
  return samples.length === 0 ? 0 : samples.filter((s) => s.upstream === upstream).length / samples.length;
}
