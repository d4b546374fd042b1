// Drives the built adaptive-lb filter in the Node proxy-wasm host the way Envoy's router would:
// request headers → (the test's upstream decides who serves and how) → response headers → on_log.
// `upstream.address` and `response.flags` are set on the stream the way Envoy exposes them once
// a host was selected, so the filter's learning path runs exactly as in Envoy.
import { join } from "node:path";
import { OVERRIDE_HOST_HEADER } from "../../scripts/lib/envoy-config.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { type HttpStream, type Pair, type ProxyWasmHost, proxyWasmHost } from "../host/index.ts";
import { propertyKey, serializeProperty } from "../host/properties.ts";

export const adaptiveLbWasm = join(repoRoot, "build/filters/adaptive-lb.wasm");

export function adaptiveLbHost(config: unknown, workers = 1): ProxyWasmHost {
  const text = typeof config === "string" ? config : JSON.stringify(config);
  return proxyWasmHost(adaptiveLbWasm).withPlugin("adaptive-lb").withConfig(text).withWorkers(workers).start();
}

/** What the scripted upstream did with one request. `address` null = no host was selected. */
export interface Served {
  address: string | null;
  status?: number;
  latencyMs: number;
  /** Envoy response flags bitmask (e.g. 0x10 upstream remote reset); the status is then absent. */
  flags?: bigint;
}

export interface Exchange {
  /** The endpoint header as the filter forwarded it (undefined = left to Envoy's fallback). */
  header: string | undefined;
  responseHeaders: Pair[];
}

/** Envoy's override_host behaviour: the first listed host of the cluster, else round robin. */
export function overrideHost(header: string | undefined, cluster: string[], rr: { next: number }): string {
  for (const host of header?.split(",") ?? []) if (cluster.includes(host)) return host;
  return cluster[rr.next++ % cluster.length] as string;
}

/** A request the filter has seen the headers of, waiting for its upstream. */
export interface Open {
  stream: HttpStream;
  /** The endpoint header as the filter forwarded it (undefined = left to Envoy's fallback). */
  header: string | undefined;
}

export interface RequestOptions {
  worker?: number;
  clientHeader?: string;
  /** The request's :authority (the filter keeps one balancer per authority); default "orders". */
  authority?: string;
}

export function begin(host: ProxyWasmHost, options: RequestOptions = {}): Open {
  const stream = host.stream(options.worker);
  const headers: Pair[] = [
    [":authority", options.authority ?? "orders"],
    [":path", "/"],
    [":method", "GET"],
    [":scheme", "http"],
  ];
  if (options.clientHeader !== undefined) headers.push([OVERRIDE_HOST_HEADER, options.clientHeader]);
  stream.requestHeaders(headers, true);
  const forwarded = stream.state.requestSnapshot.filter(([k]) => k === OVERRIDE_HOST_HEADER).map(([, v]) => v);
  if (forwarded.length > 1) throw new Error(`endpoint header forwarded ${forwarded.length} times`);
  return { stream, header: forwarded[0] };
}

/** Ends `open` now (the caller moved the clock): response headers if any, then on_log/on_delete. */
export function finish(open: Open, outcome: Served): Pair[] {
  const { stream } = open;
  const fs = stream.state.filterState;
  if (outcome.address !== null) {
    fs.set(propertyKey(["upstream", "address"]), serializeProperty({ kind: "string", value: outcome.address }));
  }
  if (outcome.flags !== undefined) {
    fs.set(propertyKey(["response", "flags"]), serializeProperty({ kind: "uint64", value: outcome.flags }));
  }
  if (outcome.status !== undefined) stream.responseHeaders([[":status", String(outcome.status)]], true);
  stream.complete();
  return stream.state.responseSnapshot;
}

/** One request from start to end; the clock moves by the request's latency. */
export function exchange(
  host: ProxyWasmHost,
  serve: (header: string | undefined) => Served,
  options: RequestOptions = {},
): Exchange {
  const open = begin(host, options);
  const outcome = serve(open.header);
  host.clock.advanceMs(outcome.latencyMs);
  return { header: open.header, responseHeaders: finish(open, outcome) };
}

export type Behaviour = (address: string) => { status?: number; latencyMs: number; flags?: bigint };

/**
 * `rounds` × `concurrency` requests: each round opens `concurrency` requests at once (so picks
 * see each other as pending), lets Envoy's override_host choose, and finishes them in order of
 * latency with the clock moving accordingly. Returns how often each endpoint served.
 */
export function drive(
  host: ProxyWasmHost,
  cluster: string[],
  rounds: number,
  behaviour: Behaviour,
  options: { concurrency?: number; rr?: { next: number } } = {},
): Map<string, number> {
  const rr = options.rr ?? { next: 0 };
  const served = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    const inFlight = Array.from({ length: options.concurrency ?? 8 }, () => {
      const open = begin(host);
      const address = overrideHost(open.header, cluster, rr);
      served.set(address, (served.get(address) ?? 0) + 1);
      return { open, outcome: { address, ...behaviour(address) } };
    });
    inFlight.sort((a, b) => a.outcome.latencyMs - b.outcome.latencyMs);
    let elapsed = 0;
    for (const { open, outcome } of inFlight) {
      host.clock.advanceMs(outcome.latencyMs - elapsed);
      elapsed = outcome.latencyMs;
      finish(open, outcome);
    }
  }
  return served;
}

/** Share of all requests that `key` served. */
export function share(m: Map<string, number>, key: string): number {
  let total = 0;
  for (const v of m.values()) total += v;
  return (m.get(key) ?? 0) / total;
}

export const endpoints = (n: number, basePort = 8080): string[] =>
  Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}:${basePort}`);

export const counter = (host: ProxyWasmHost, name: string): number =>
  host.stats().get(`wasmcustom.meshward.adaptive_lb.${name}`) ?? 0;
