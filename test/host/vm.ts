// One emulated Envoy worker VM: a WebAssembly instance of the plugin's module, its guest memory,
// its contexts and the calls into the guest. The host functions live in host-functions.ts.
// Envoy behaviours reproduced here (its Wasm loading order, memory contract and phase rules):
//  - start: instantiate → `_initialize` (then `main`) or `_start`, with RESTRICTED host calls
//    (only logging/WASI clock/random/env); context create(root, 0) → vm_start → configure;
//  - allocation through `malloc` (else `proxy_on_memory_allocate`), restricted while it runs
//    (the memory contract itself is in guest-memory.ts);
//  - the effective context is reset to the callee's context on every host→guest call;
//  - deferred actions (continue/close/local reply) run after the outermost guest call returns;
//  - a trap marks the VM failed (the stream driver then applies the failure policy).

import { GuestMemory } from "./guest-memory.ts";
import { buildImports } from "./host-functions.ts";
import { type MetricStore, VmMetrics } from "./metrics.ts";
import type { Pair } from "./pairs.ts";
import type { QueueOwner } from "./shared-data.ts";
import type { HostServices, PluginSpec } from "./types.ts";

/** A host call made where Envoy forbids it (during `_initialize` or `malloc`): traps the VM. */
export class RestrictedCall extends Error {
  constructor(name: string, phase: string) {
    super(`restricted_callback: ${name} is not allowed during ${phase}`);
  }
}

export interface LocalReply {
  status: number;
  details: string;
  body: Uint8Array;
  headers: Pair[];
  grpcStatus: number;
}

export interface StreamInfo {
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
  protocol: string;
  startNs: bigint;
}

/** Per-stream state the host functions read and write. A null map/buffer is "not available now". */
export interface StreamState {
  id: number;
  info: StreamInfo;
  requestHeaders: Pair[] | null;
  requestTrailers: Pair[] | null;
  responseHeaders: Pair[] | null;
  responseTrailers: Pair[] | null;
  requestBody: Uint8Array | null;
  responseBody: Uint8Array | null;
  /** Last request header map seen (attributes such as request.path keep working from it). */
  requestSnapshot: Pair[];
  responseSnapshot: Pair[];
  accessLogPhase: boolean;
  filterState: Map<string, Uint8Array>;
  localReply: LocalReply | undefined;
  continued: { request: boolean; response: boolean };
  closed: boolean;
}

const INIT_ALLOWED = new Set([
  "proxy_log",
  "emscripten_notify_memory_growth",
  "fd_write",
  "args_get",
  "args_sizes_get",
  "environ_get",
  "environ_sizes_get",
  "clock_time_get",
  "clock_res_get",
  "random_get",
  "poll_oneoff",
  "fd_fdstat_get",
  "fd_fdstat_set_flags",
  "proc_exit",
]);
const MALLOC_ALLOWED = new Set(["proxy_log", "fd_write", "clock_time_get", "poll_oneoff"]);

type GuestFunction = (...args: (number | bigint)[]) => number | bigint | undefined;

export class WasmVm implements QueueOwner {
  readonly metrics: VmMetrics;
  restriction: "init" | "malloc" | null = null;
  failed: string | undefined;
  rootContextId = 0;
  effectiveContextId = 0;
  readonly streams = new Map<number, StreamState>();
  pluginConfigAvailable = false;
  /** The root's in-flight http_call response (Envoy: rootContext()->http_call_response_). */
  calloutResponse: { headers: Pair[]; body: Uint8Array; trailers: Pair[] } | undefined;
  calloutStatus = { code: 0, message: "" };
  readonly pendingCallouts = new Map<number, { owner: number }>();
  private nextCallId = 0;
  foreignArgs: Uint8Array | undefined;
  tickPeriodMs = 0;
  awaitingDone = false;
  rootDeleted = false;
  private nextTickAtMs = 0;
  private nextContextId = 1;
  private readonly afterCall: (() => void)[] = [];
  private depth = 0;
  private instance!: WebAssembly.Instance;
  /** Guest memory access (bounds-checked, views refreshed after growth). */
  readonly mem = new GuestMemory(
    (size) => this.guestAlloc(size),
    (size) => this.services.observer?.bytesFromGuest(this.label, size),
  );
  private allocator: GuestFunction | undefined;
  private guest: Record<string, GuestFunction> = {};

  constructor(
    readonly label: string,
    private readonly module: WebAssembly.Module,
    readonly spec: PluginSpec,
    readonly services: HostServices,
  ) {
    this.metrics = new VmMetrics(services.metrics as MetricStore);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Instantiates and runs start + configure like Envoy. Returns false (and logs why) when the VM
   *  start or the configuration was rejected or trapped. */
  start(): boolean {
    this.restriction = "init";
    try {
      this.instance = new WebAssembly.Instance(this.module, buildImports(this, this.module));
    } catch (err) {
      this.fail("instantiate", err);
      return false;
    } finally {
      this.restriction = null;
    }
    this.guest = this.instance.exports as unknown as Record<string, GuestFunction>;
    this.mem.attach(this.instance.exports.memory as WebAssembly.Memory);
    this.allocator = this.guest.malloc ?? this.guest.proxy_on_memory_allocate;
    if (this.guest._initialize) {
      this.callRestricted("_initialize");
      if (this.guest.main) this.callRestricted("main", 0, 0);
    } else if (this.guest._start) {
      this.callRestricted("_start");
    }
    if (this.failed) return false;
    this.rootContextId = this.newContextId();
    this.call("proxy_on_context_create", this.rootContextId, 0);
    if (this.call("proxy_on_vm_start", this.rootContextId, this.spec.vmConfig.length) === 0) {
      this.log(4, `Wasm VM failed to start: proxy_on_vm_start returned false`);
      return false;
    }
    this.pluginConfigAvailable = true;
    const configured = this.call("proxy_on_configure", this.rootContextId, this.spec.pluginConfig.length);
    this.pluginConfigAvailable = false;
    if (configured === 0 || this.failed) {
      this.log(4, `Failed to configure Wasm plugin ${this.spec.name}`);
      return false;
    }
    return true;
  }

  /** Root shutdown like Envoy: proxy_on_done(root); when it returns false the root stays alive
   *  (ticks keep firing) until the guest calls proxy_done, then proxy_on_delete(root). */
  shutdown(): void {
    if (this.failed || this.rootContextId === 0 || this.awaitingDone) return;
    if (this.call("proxy_on_done", this.rootContextId) === 0) {
      this.awaitingDone = true;
      return;
    }
    this.deleteRoot();
  }

  /** proxy_done from the guest: completes a delayed shutdown (after the current callback). */
  rootDone(): boolean {
    if (!this.awaitingDone) return false;
    this.awaitingDone = false;
    this.defer(() => this.deleteRoot());
    return true;
  }

  private deleteRoot(): void {
    this.call("proxy_on_delete", this.rootContextId);
    this.tickPeriodMs = 0;
    this.rootDeleted = true;
  }

  newContextId(): number {
    return this.nextContextId++;
  }

  hasExport(name: string): boolean {
    return typeof this.guest[name] === "function";
  }

  // ---- calls into the guest ----------------------------------------------------------------------

  private callRestricted(name: string, ...args: number[]): void {
    this.restriction = "init";
    try {
      this.guest[name]?.(...args);
    } catch (err) {
      this.fail(name, err);
    } finally {
      this.restriction = null;
      this.mem.refresh();
    }
  }

  /** Calls a proxy_on_* export (first argument = the context it is for). Returns undefined when the
   *  export is missing or the VM trapped (then `failed` is set). Deferred actions run after the
   *  outermost call. */
  call(name: string, ...args: number[]): number | undefined {
    const fn = this.guest[name];
    if (!fn || this.failed) return undefined;
    const savedEffective = this.effectiveContextId;
    this.effectiveContextId = args[0] ?? 0;
    this.depth++;
    this.services.observer?.enter(this.label, name);
    let result: number | undefined;
    try {
      const raw = fn(...args);
      result = typeof raw === "number" ? raw >>> 0 : undefined;
    } catch (err) {
      this.fail(name, err);
    } finally {
      this.services.observer?.exit(this.label, name);
      this.depth--;
      this.effectiveContextId = savedEffective;
      this.mem.refresh();
    }
    if (this.depth === 0) this.runDeferred();
    return result;
  }

  defer(action: () => void): void {
    this.afterCall.push(action);
  }

  private runDeferred(): void {
    while (this.afterCall.length > 0) (this.afterCall.shift() as () => void)();
  }

  private fail(where: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failed = `Function: ${where} failed: ${message}`;
    this.log(5, this.failed);
  }

  /** Runs the guest allocator with host calls restricted as Envoy does while `malloc` runs.
   *  Returns the block, or 0 when the allocator is missing or failed. */
  private guestAlloc(size: number): number {
    if (!this.allocator) return 0;
    const previous = this.restriction;
    this.restriction = "malloc";
    const observer = this.services.observer;
    observer?.enter(this.label, "malloc");
    try {
      const ptr = Number(this.allocator(size));
      if (ptr !== 0) observer?.bytesToGuest(this.label, size);
      return ptr;
    } finally {
      observer?.exit(this.label, "malloc");
      this.restriction = previous;
      this.mem.refresh();
    }
  }

  /** Value of an exported global (accounting builds export their counters), or undefined. */
  exportedGlobal(name: string): number | undefined {
    const value = this.instance.exports[name];
    return value instanceof WebAssembly.Global ? Number(value.value) : undefined;
  }

  allowed(name: string): boolean {
    if (this.restriction === null) return true;
    return (this.restriction === "init" ? INIT_ALLOWED : MALLOC_ALLOWED).has(name);
  }

  // ---- helpers for host functions -----------------------------------------------------------------

  log(level: number, message: string): void {
    if (level >= this.spec.logLevel) this.services.logs.push({ vm: this.label, level, message });
  }

  /** The stream the effective context designates, or undefined on the root / VM context. */
  effectiveStream(): StreamState | undefined {
    return this.streams.get(this.effectiveContextId);
  }

  nextHttpCallId(): number {
    this.nextCallId += 4;
    return this.nextCallId;
  }

  setTickPeriod(ms: number): void {
    this.tickPeriodMs = ms;
    this.nextTickAtMs = this.services.clock.nowMs() + ms;
  }

  /** Fires proxy_on_tick for every period that elapsed up to the clock's now. */
  fireTicks(): number {
    let fired = 0;
    while (this.tickPeriodMs > 0 && !this.failed && this.services.clock.nowMs() >= this.nextTickAtMs) {
      this.nextTickAtMs += this.tickPeriodMs;
      this.call("proxy_on_tick", this.rootContextId);
      fired++;
    }
    return fired;
  }

  notifyQueueReady(rootContextId: number, queueId: number): void {
    this.services.post(() => this.call("proxy_on_queue_ready", rootContextId, queueId));
  }

  memoryPages(): number {
    return this.mem.pages();
  }
}
