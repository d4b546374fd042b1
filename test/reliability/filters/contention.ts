// Shared data under contention across worker VMs. The Node host runs one VM at a time, so the race
// is made explicit: when a VM reads the contended key, another worker's whole request runs before
// the read returns (as if that worker's thread had been scheduled in between). The reader then
// holds a stale CAS, its write fails with CasMismatch and the SDK must retry. Exactness means the
// shared counter ends at the number of increments the filter reported as done, and an increment
// that ran out of retries is reported (-1), never lost silently.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../../scripts/lib/tools.ts";
import { type ProxyWasmHost, proxyWasmHost } from "../../host/index.ts";
import { Random } from "../random.ts";

export const COUNTER_KEY = "conformance.hits";

export interface ContentionReport {
  requests: number;
  /** Reads that had another worker's request slipped in before they returned. */
  interleaved: number;
  /** Increments the filter reported as applied (x-conf-shared-hits >= 0). */
  applied: number;
  /** Increments that gave up after the SDK's CAS retries (x-conf-shared-hits = -1). */
  gaveUp: number;
  finalCount: number;
}

function counterValue(host: ProxyWasmHost): number {
  const entry = host.sharedData.get(host.spec.vmId, COUNTER_KEY);
  return entry ? Number(new DataView(entry.value.buffer, entry.value.byteOffset, 8).getBigInt64(0, true)) : 0;
}

export function runCounterContention(options: {
  requests: number;
  workers: number;
  seed: number;
  /** Probability that a read of the counter is interleaved with another worker's request. */
  interleave: number;
  /** Create the counter before the run (as a filter's on_configure would). */
  precreate: boolean;
}): ContentionReport {
  const host = proxyWasmHost(readFileSync(join(repoRoot, "build/filters/conformance.wasm")))
    .withPlugin("contention")
    .withWorkers(options.workers)
    .start();
  const rand = new Random(options.seed);
  const report: ContentionReport = { requests: 0, interleaved: 0, applied: 0, gaveUp: 0, finalCount: 0 };
  if (options.precreate) {
    const zero = new Uint8Array(8);
    host.sharedData.set(host.spec.vmId, COUNTER_KEY, zero, 0);
  }
  const data = host.sharedData;
  const read = data.get.bind(data);
  let nested = false;
  let running = 0; // the worker whose request is in progress (the one doing the read)
  const request = (worker: number) => {
    running = worker;
    const result = host.exchange({ path: "/count", headers: [["x-conf-op", "echo"]], worker }, () => ({ status: 200 }));
    report.requests++;
    const hits = Number(result.headers.find(([k]) => k === "x-conf-shared-hits")?.[1] ?? Number.NaN);
    if (hits >= 0) report.applied++;
    else report.gaveUp++;
  };
  data.get = (vmId: string, key: string) => {
    const snapshot = read(vmId, key);
    if (key === COUNTER_KEY && !nested && rand.chance(options.interleave)) {
      nested = true;
      report.interleaved++;
      const reader = running;
      try {
        // Another worker: a VM is never re-entered while it waits in a host call (one thread each).
        request((running + rand.int(1, options.workers - 1)) % options.workers);
      } finally {
        nested = false;
        running = reader;
      }
    }
    return snapshot;
  };
  for (let i = 0; i < options.requests; i++) request(i % options.workers);
  data.get = read;
  report.finalCount = counterValue(host);
  host.shutdown();
  return report;
}
