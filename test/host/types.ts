// Shapes shared by the Node proxy-wasm host's modules.
import type { ManualClock } from "./clock.ts";
import type { MetricStore } from "./metrics.ts";
import type { Pair } from "./pairs.ts";
import type { PropertyValue } from "./properties.ts";
import type { SharedData, SharedQueues, Status } from "./shared-data.ts";

export type FailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN";

/** What Envoy's PluginConfig + VmConfig would carry, plus the host's own knobs. */
export interface PluginSpec {
  name: string;
  rootId: string;
  vmId: string;
  pluginConfig: Uint8Array;
  vmConfig: Uint8Array;
  /** Plugin-level properties by NUL-joined path (stream properties are derived per request). */
  properties: Map<string, PropertyValue>;
  /** Cluster names http_call may target (Envoy: BadArgument for others). */
  clusters: Set<string>;
  /** Envoy's `wasm` logger level (Trace 0 .. Critical 5); lines below it are not recorded. */
  logLevel: number;
  allowOnHeadersStopIteration: boolean;
  failurePolicy: FailurePolicy;
  foreignFunctions: Map<string, (args: Uint8Array) => Uint8Array | Status>;
  /** Order of teardown calls: Envoy HTTP is log → done → delete; the spec says done → log → delete. */
  teardownOrder: "envoy" | "spec";
}

export interface LogRecord {
  vm: string;
  level: number;
  message: string;
}

export interface CalloutRequest {
  cluster: string;
  headers: Pair[];
  body: Uint8Array;
  trailers: Pair[];
  timeoutMs: number;
}

/** A scripted http_call outcome: a response, or a failure (delivered with 0 headers + BrokenConnection). */
export type CalloutReply = { headers: Pair[]; body?: Uint8Array | string; trailers?: Pair[] } | { failure: "reset" };

export interface HostCallRecord {
  vm: string;
  name: string;
  args: (number | bigint)[];
}

/** Counts every host call (per name) and optionally keeps each call's arguments. */
export class HostCallRecorder {
  readonly counts = new Map<string, number>();
  total = 0;
  readonly calls: HostCallRecord[] | undefined;

  constructor(keepCalls: boolean) {
    this.calls = keepCalls ? [] : undefined;
  }

  record(vm: string, name: string, args: (number | bigint)[]): void {
    this.total++;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    this.calls?.push({ vm, name, args });
  }

  reset(): void {
    this.total = 0;
    this.counts.clear();
    this.calls?.splice(0);
  }
}

/** Optional accounting hooks (bench/accounting/): each call into a VM, each host call, and the
 *  bytes crossing the ABI. `vm` is the VM's label ("canary", "worker_0", ...). */
export interface VmObserver {
  /** A call into the VM starts (a proxy_on_* callback, or `malloc` for a value the host returns). */
  enter(vm: string, name: string): void;
  exit(vm: string, name: string): void;
  hostCall(vm: string, name: string): void;
  /** A host call read `size` bytes out of guest memory (keys, values, pairs). */
  bytesFromGuest(vm: string, size: number): void;
  /** The host copied `size` bytes into a block from the guest's allocator. */
  bytesToGuest(vm: string, size: number): void;
}

/** The process-wide state every VM of a plugin shares (Envoy's main thread + workers). */
export interface HostServices {
  clock: ManualClock;
  sharedData: SharedData;
  queues: SharedQueues;
  metrics: MetricStore;
  logs: LogRecord[];
  recorder: HostCallRecorder;
  observer?: VmObserver;
  /** Work posted to a dispatcher (queue notifications, callout replies), run by `drain()`. */
  post(task: () => void): void;
  callout(request: CalloutRequest): CalloutReply;
}
