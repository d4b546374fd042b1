// What the conformance assertions need from a host, implemented once for the Node host and once
// for real Envoy, so both run the very same `it(...)` blocks (conformance-cases.ts).
import type { Pair } from "../host/index.ts";

export interface ConformanceRequest {
  method?: string;
  path: string;
  headers?: Pair[];
  body?: string;
}

export interface ConformanceResponse {
  /** False when the stream was reset (no HTTP response). */
  answered: boolean;
  status: number;
  headers: Pair[];
  body: string;
}

export interface ConformanceTarget {
  readonly kind: "node-host" | "envoy";
  request(req: ConformanceRequest): Promise<ConformanceResponse>;
  /** A custom counter/gauge by its /stats/prometheus name (e.g. conformance_requests). */
  stat(name: string): Promise<number | undefined>;
  /** The filter's log messages so far (text after "wasm log ...: " in Envoy). */
  logs(): Promise<string[]>;
  /** Lets `ms` of time pass (real time in Envoy, the manual clock in the Node host). */
  elapse(ms: number): Promise<void>;
}

export const CONFORMANCE_PLUGIN = {
  name: "conformance",
  rootId: "conformance",
  vmId: "conformance",
  pluginConfig: "tick_ms=100;mode=conformance",
  vmConfig: "vm_id=conformance",
  calloutCluster: "conformance_callout",
};

export const header = (res: ConformanceResponse, name: string): string | undefined =>
  res.headers.find(([k]) => k === name)?.[1];

/** Polls `probe` until it passes or `attempts` run out (Envoy updates some things asynchronously). */
export async function eventually<T>(
  target: ConformanceTarget,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
): Promise<T> {
  let value = await probe();
  for (let i = 0; i < 40 && !ok(value); i++) {
    await target.elapse(50);
    value = await probe();
  }
  return value;
}
