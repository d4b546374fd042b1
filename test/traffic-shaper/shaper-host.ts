// Helpers for traffic-shaper tests in the Node proxy-wasm host: the built filter with a config,
// several worker VMs sharing shared data, and readers for its stats and shared counters.
import { join } from "node:path";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { type Pair, type ProxyWasmHost, proxyWasmHost, type UpstreamResponse } from "../host/index.ts";

export const SHAPER_WASM = join(repoRoot, "build/filters/traffic-shaper.wasm");
export const VM_ID = "traffic-shaper";
/** Shared-data key prefix of the filter (filters/traffic-shaper/shared-bucket.ts). */
export const KEY_PREFIX = "meshward.ts\u001f";
export const IN_FLIGHT_KEY = `${KEY_PREFIX}in_flight`;

export const ok = (): UpstreamResponse => ({ status: 200, body: "ok" });
export const header = (headers: Pair[], name: string): string | undefined => headers.find(([k]) => k === name)?.[1];

export function startShaper(config: unknown, workers = 2): ProxyWasmHost {
  return proxyWasmHost(SHAPER_WASM)
    .withPlugin(VM_ID)
    .withConfig(typeof config === "string" ? config : JSON.stringify(config))
    .withWorkers(workers)
    .start();
}

/** A custom stat as Envoy's /stats names it (0 when never touched). */
export function stat(host: ProxyWasmHost, name: string): number {
  return host.stats().get(`wasmcustom.meshward.traffic_shaper.${name}`) ?? 0;
}

/** The shared in-flight counter (8-byte little-endian i64), as all workers see it. */
export function sharedInFlight(host: ProxyWasmHost): number {
  const entry = host.sharedData.get(VM_ID, IN_FLIGHT_KEY);
  return entry ? Number(Buffer.from(entry.value).readBigInt64LE(0)) : Number.NaN;
}

/** Shared-data key of a rule's bucket for one descriptor value. */
export const bucketKey = (rule: string, value = ""): string => `${KEY_PREFIX}${rule}\u001f${value}`;
