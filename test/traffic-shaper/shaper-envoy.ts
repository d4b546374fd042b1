// Envoy configs for the traffic-shaper e2e tests: the filter in front of one upstream, or Envoy's
// native local_ratelimit in its place for the side-by-side accuracy comparison.

import type { RunningEnvoy } from "../../scripts/lib/envoy.ts";
import { type Endpoint, meshEnvoyConfig, nativeLocalRateLimitFilter } from "../../scripts/lib/envoy-config.ts";
import { SHAPER_WASM, VM_ID } from "./shaper-host.ts";

export function shaperEnvoyConfig(upstream: Endpoint, pluginConfig: unknown): Record<string, unknown> {
  return meshEnvoyConfig({
    upstreams: [upstream],
    wasmFilters: [
      {
        name: "traffic-shaper",
        rootId: "traffic-shaper",
        vmId: VM_ID,
        wasmPath: SHAPER_WASM,
        pluginConfig: JSON.stringify(pluginConfig),
      },
    ],
  });
}

/** Native local_ratelimit with a 50 ms fill interval (Envoy's minimum: the closest to continuous). */
export function nativeEnvoyConfig(upstream: Endpoint, rate: number, burst: number): Record<string, unknown> {
  return meshEnvoyConfig({ upstreams: [upstream], extraHttpFilters: [nativeLocalRateLimitFilter(rate, burst, 50)] });
}

/** Downstream connections each worker accepted (Envoy `listener.<addr>.worker_<n>.downstream_cx_total`). */
export async function connectionsPerWorker(envoy: RunningEnvoy): Promise<number[]> {
  const out: number[] = [];
  for (const [name, value] of await envoy.stats()) {
    const m = /^listener\.127\.0\.0\.1_\d+\.worker_(\d+)\.downstream_cx_total$/.exec(name);
    if (m) out[Number(m[1])] = value;
  }
  return out;
}
