// One emulated Envoy worker VM: a WebAssembly instance of the plugin's module, its guest memory,
// its contexts and the calls into the guest. The host functions live in host-functions.ts.
// Envoy behaviours reproduced here (reference §1.1, §1.7, §6.2):
//  - start: instantiate → `_initialize` (then `main`) or `_start`, with RESTRICTED host calls
//    (only logging/WASI clock/random/env); context create(root, 0) → vm_start → configure;
//  - allocation through `malloc` (else `proxy_on_memory_allocate`), restricted while it runs;
//    zero-length results as (0, 0) without allocating; a 0 pointer is InvalidMemoryAccess;
//  - memory views re-created after every guest call (memory.grow replaces the ArrayBuffer);
//  - the effective context is reset to the callee's context on every host→guest call;
//  - deferred actions (continue/close/local reply) run after the outermost guest call returns;
//  - a trap marks the VM failed (the stream driver then applies the failure policy).

import { buildImports } from "./host-functions.ts";
import { type MetricStore, VmMetrics } from "./metrics.ts";
import type { Pair } from "./pairs.ts";
import { type QueueOwner, Status } from "./shared-data.ts";
import type { HostServices, PluginSpec } from "./types.ts";

export class OutOfBounds extends Error {}

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
  private memory!: WebAssembly.Memory;
  private u8 = new Uint8Array(0);
  private buf = Buffer.alloc(0);
  private dv = new DataView(new ArrayBuffer(0));
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
    this.memory = this.instance.exports.memory as WebAssembly.Memory;
    this.refresh();
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
      this.refresh();
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
    let result: number | undefined;
    try {
      const raw = fn(...args);
      result = typeof raw === "number" ? raw >>> 0 : undefined;
    } catch (err) {
      this.fail(name, err);
    } finally {
      this.depth--;
      this.effectiveContextId = savedEffective;
      this.refresh();
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

  // ---- guest memory ------------------------------------------------------------------------------

  /** Re-creates the views over guest memory. Called after every guest call; check() also calls it
   *  when an access falls outside the current view, because memory.grow inside the guest detaches
   *  the old ArrayBuffer (its views then have length 0) before the guest calls back into the host. */
  private refresh(): void {
    if (this.memory && this.u8.buffer !== this.memory.buffer) {
      this.u8 = new Uint8Array(this.memory.buffer);
      this.buf = Buffer.from(this.memory.buffer);
      this.dv = new DataView(this.memory.buffer);
    }
  }

  private check(ptr: number, size: number): void {
    if (ptr >= 0 && size >= 0 && ptr + size <= this.u8.length) return;
    this.refresh();
    if (ptr < 0 || size < 0 || ptr + size > this.u8.length) throw new OutOfBounds(`${ptr}+${size}`);
  }

  readBytes(ptr: number, size: number): Uint8Array {
    this.check(ptr, size);
    return this.u8.slice(ptr, ptr + size);
  }

  readString(ptr: number, size: number): string {
    this.check(ptr, size);
    return this.buf.toString("utf8", ptr, ptr + size);
  }

  writeBytes(ptr: number, data: Uint8Array): void {
    this.check(ptr, data.length);
    this.u8.set(data, ptr);
  }

  writeU32(ptr: number, value: number): void {
    this.check(ptr, 4);
    this.dv.setUint32(ptr, value >>> 0, true);
  }

  writeU64(ptr: number, value: bigint): void {
    this.check(ptr, 8);
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
  }

  /** Copies `data` into a guest block from the guest's allocator and writes (ptr, size) to the
   *  out-slots; (0, 0) for empty data. */
  returnBytes(data: Uint8Array, ptrSlot: number, sizeSlot: number): Status {
    const ptr = this.allocateResult(data.length, ptrSlot, sizeSlot);
    if (ptr > 0) this.u8.set(data, ptr);
    return ptr < 0 ? Status.InvalidMemoryAccess : Status.Ok;
  }

  /** Same as returnBytes for a string, encoded as UTF-8 straight into guest memory. */
  returnString(text: string, ptrSlot: number, sizeSlot: number): Status {
    const size = Buffer.byteLength(text);
    const ptr = this.allocateResult(size, ptrSlot, sizeSlot);
    if (ptr > 0) this.buf.write(text, ptr, size, "utf8");
    return ptr < 0 ? Status.InvalidMemoryAccess : Status.Ok;
  }

  /** Allocates `size` bytes in the guest (malloc, restricted) and fills the out-slots. Returns the
   *  block (0 for size 0, written as (0, 0)), or -1 when the allocator is missing or failed. */
  private allocateResult(size: number, ptrSlot: number, sizeSlot: number): number {
    this.check(ptrSlot, 4);
    this.check(sizeSlot, 4);
    if (size === 0) {
      this.writeU32(ptrSlot, 0);
      this.writeU32(sizeSlot, 0);
      return 0;
    }
    if (!this.allocator) return -1;
    const previous = this.restriction;
    this.restriction = "malloc";
    let ptr: number;
    try {
      ptr = Number(this.allocator(size));
    } finally {
      this.restriction = previous;
      this.refresh();
    }
    if (ptr === 0) return -1;
    this.check(ptr, size);
    this.writeU32(ptrSlot, ptr);
    this.writeU32(sizeSlot, size);
    return ptr;
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
    return this.memory ? this.memory.buffer.byteLength / 65536 : 0;
  }
}
