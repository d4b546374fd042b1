// The host functions a proxy-wasm module imports, implemented with Envoy's semantics
// (Envoy source/extensions/common/wasm/context.cc, proxy-wasm-cpp-host src/exports.cc; reference
// §1.4–§1.10). Every call is counted by the HostCallRecorder. A bad guest pointer yields
// InvalidMemoryAccess; a call Envoy forbids in the current phase (restricted `_initialize` or
// `malloc`) traps like Envoy's restricted_callback.
import { WASI_MODULES } from "../../scripts/lib/envoy-abi.ts";
import { resolveProperty } from "./attributes.ts";
import { decodePairs, encodePairs, type Pair } from "./pairs.ts";
import { Status } from "./shared-data.ts";
import { OutOfBounds, RestrictedCall, type StreamState, type WasmVm } from "./vm.ts";

type Impl = (...args: (number | bigint)[]) => number | undefined;
type Args = (number | bigint)[];
const n = (v: number | bigint | undefined): number => Number(v ?? 0);
const ENOSYS = 52;

// ---- header maps (Envoy getConstMap / getMap) ------------------------------------------------------

function readableMap(vm: WasmVm, type: number): Pair[] | null {
  if (type === 6) return vm.calloutResponse?.headers ?? null;
  if (type === 7) return vm.calloutResponse?.trailers ?? null;
  const s = vm.effectiveStream();
  if (!s) return null;
  if (s.accessLogPhase) {
    if (type === 0) return s.requestSnapshot;
    if (type === 2) return s.responseSnapshot;
    if (type === 3) return s.responseTrailers;
    return null;
  }
  return [s.requestHeaders, s.requestTrailers, s.responseHeaders, s.responseTrailers][type] ?? null;
}

function writableMap(vm: WasmVm, type: number): Pair[] | null {
  const s = vm.effectiveStream();
  if (!s) return null;
  return [s.requestHeaders, s.requestTrailers, s.responseHeaders, s.responseTrailers][type] ?? null;
}

/** Envoy HeaderMap::setCopy: first entry takes the value, later duplicates go; adds when missing. */
function setCopy(map: Pair[], key: string, value: string): void {
  const first = map.findIndex(([k]) => k === key);
  if (first < 0) {
    map.push([key, value]);
    return;
  }
  (map[first] as Pair)[1] = value;
  for (let i = map.length - 1; i > first; i--) if ((map[i] as Pair)[0] === key) map.splice(i, 1);
}

function removeAll(map: Pair[], key: string): void {
  for (let i = map.length - 1; i >= 0; i--) if ((map[i] as Pair)[0] === key) map.splice(i, 1);
}

const byteSize = (map: Pair[]): number =>
  map.reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

// ---- buffers (Envoy getBuffer) ---------------------------------------------------------------------

function readableBuffer(vm: WasmVm, type: number): Uint8Array | null {
  const s = vm.effectiveStream();
  switch (type) {
    case 0:
      return s?.requestBody ?? null;
    case 1:
      return s?.responseBody ?? null;
    case 4:
      return vm.calloutResponse?.body ?? null;
    case 6:
      return vm.spec.vmConfig;
    case 7:
      return vm.pluginConfigAvailable ? vm.spec.pluginConfig : null;
    case 8:
      return vm.foreignArgs ?? null;
    default:
      return null;
  }
}

/** Envoy's BufferWrapper::copyFrom: start 0 drains `size` then prepends; start >= length appends. */
function editBody(current: Uint8Array, start: number, size: number, data: Uint8Array): Uint8Array | null {
  if (start === 0) return Buffer.concat([data, current.subarray(Math.min(size, current.length))]);
  if (start >= current.length) return Buffer.concat([current, data]);
  return null;
}

function setBody(s: StreamState, type: number, body: Uint8Array): void {
  if (type === 0) s.requestBody = body;
  else s.responseBody = body;
}

// ---- the table ----------------------------------------------------------------------------------------

function envFunctions(vm: WasmVm): Record<string, Impl> {
  const svc = vm.services;
  const str = (p: number | bigint | undefined, l: number | bigint | undefined) => vm.readString(n(p), n(l));
  const pairsAt = (p: number | bigint | undefined, l: number | bigint | undefined): Pair[] =>
    decodePairs(vm.readBytes(n(p), n(l))) ?? [];
  return {
    proxy_log: (level, p, l) => {
      if (n(level) > 5) return Status.BadArgument;
      vm.log(n(level), str(p, l));
      return Status.Ok;
    },
    proxy_get_log_level: (out) => {
      vm.writeU32(n(out), vm.spec.logLevel);
      return Status.Ok;
    },
    proxy_get_current_time_nanoseconds: (out) => {
      vm.writeU64(n(out), svc.clock.nowNanos());
      return Status.Ok;
    },
    proxy_set_tick_period_milliseconds: (ms) => {
      vm.setTickPeriod(n(ms));
      return Status.Ok;
    },

    proxy_get_buffer_bytes: (type, start, max, pp, sp) => {
      if (n(type) > 8) return Status.BadArgument;
      const buffer = readableBuffer(vm, n(type));
      if (!buffer) return Status.NotFound;
      const from = Math.min(n(start), buffer.length);
      const to = Math.min(buffer.length, from + n(max));
      return vm.returnBytes(buffer.subarray(from, to), n(pp), n(sp));
    },
    proxy_get_buffer_status: (type, lp, fp) => {
      const buffer = readableBuffer(vm, n(type));
      if (!buffer) return Status.NotFound;
      vm.writeU32(n(lp), buffer.length);
      vm.writeU32(n(fp), 0);
      return Status.Ok;
    },
    proxy_set_buffer_bytes: (type, start, size, dp, dl) => {
      const t = n(type);
      const s = vm.effectiveStream();
      if (t !== 0 && t !== 1)
        return t > 8 ? Status.BadArgument : readableBuffer(vm, t) ? Status.BadArgument : Status.NotFound;
      const current = readableBuffer(vm, t);
      if (!current || !s) return Status.NotFound;
      const edited = editBody(current, n(start), n(size), vm.readBytes(n(dp), n(dl)));
      if (!edited) return Status.BadArgument;
      setBody(s, t, edited);
      return Status.Ok;
    },

    proxy_get_header_map_pairs: (type, pp, sp) => {
      const map = readableMap(vm, n(type));
      return vm.returnBytes(map && map.length > 0 ? encodePairs(map) : new Uint8Array(0), n(pp), n(sp));
    },
    proxy_set_header_map_pairs: (type, p, l) => {
      const map = writableMap(vm, n(type));
      if (!map) return Status.BadArgument;
      const pairs = pairsAt(p, l);
      map.splice(0, map.length, ...pairs.map(([k, v]): Pair => [k.toLowerCase(), v]));
      return Status.Ok;
    },
    proxy_get_header_map_size: (type, out) => {
      const map = writableMap(vm, n(type));
      if (!map) return Status.BadArgument;
      vm.writeU32(n(out), byteSize(map));
      return Status.Ok;
    },
    proxy_get_header_map_value: (type, kp, kl, pp, sp) => {
      const map = readableMap(vm, n(type));
      if (!map) return vm.effectiveStream()?.accessLogPhase ? Status.NotFound : Status.BadArgument;
      const key = str(kp, kl).toLowerCase();
      const entry = map.find(([k]) => k === key);
      if (!entry) return Status.NotFound;
      return vm.returnString(entry[1], n(pp), n(sp));
    },
    proxy_add_header_map_value: (type, kp, kl, vp, vl) => {
      const map = writableMap(vm, n(type));
      if (!map) return Status.BadArgument;
      map.push([str(kp, kl).toLowerCase(), str(vp, vl)]);
      return Status.Ok;
    },
    proxy_replace_header_map_value: (type, kp, kl, vp, vl) => {
      const map = writableMap(vm, n(type));
      if (!map) return Status.BadArgument;
      setCopy(map, str(kp, kl).toLowerCase(), str(vp, vl));
      return Status.Ok;
    },
    proxy_remove_header_map_value: (type, kp, kl) => {
      const map = writableMap(vm, n(type));
      if (!map) return Status.BadArgument;
      removeAll(map, str(kp, kl).toLowerCase());
      return Status.Ok;
    },

    proxy_get_property: (pp, pl, rp, rs) => {
      const value = resolveProperty(str(pp, pl), vm.spec, vm.effectiveStream());
      return value ? vm.returnBytes(value, n(rp), n(rs)) : Status.NotFound;
    },
    proxy_set_property: (pp, pl, vp, vl) => {
      const s = vm.effectiveStream();
      if (!s) return Status.NotFound;
      s.filterState.set(str(pp, pl), vm.readBytes(n(vp), n(vl)));
      return Status.Ok;
    },

    proxy_send_local_response: (status, dp, dl, bp, bl, hp, hl, grpc) => {
      const s = vm.effectiveStream();
      const reply = {
        status: n(status),
        details: str(dp, dl).replace(/\s/g, "_"),
        body: vm.readBytes(n(bp), n(bl)),
        headers: pairsAt(hp, hl).map(([k, v]): Pair => [k.toLowerCase(), v]),
        grpcStatus: n(grpc) | 0,
      };
      if (s) vm.defer(() => (s.localReply ??= reply));
      return Status.Ok;
    },
    proxy_continue_stream: (type) => {
      const t = n(type);
      if (t === 3) return Status.Unimplemented;
      if (t > 3) return Status.BadArgument;
      const s = vm.effectiveStream();
      if (s && t <= 1) {
        vm.defer(() => {
          if (t === 0) s.continued.request = true;
          else s.continued.response = true;
        });
        s.requestHeaders = null;
        s.requestBody = null;
        s.requestTrailers = null;
      }
      return Status.Ok;
    },
    proxy_close_stream: (type) => {
      if (n(type) > 3) return Status.BadArgument;
      const s = vm.effectiveStream();
      if (s) vm.defer(() => (s.closed = true));
      return Status.Ok;
    },

    proxy_http_call: (cp, cl, hp, hl, bp, bl, tp, tl, timeout, out) => {
      const cluster = str(cp, cl);
      if ((n(timeout) | 0) < 0 || !vm.spec.clusters.has(cluster)) return Status.BadArgument;
      const headers = pairsAt(hp, hl);
      const has = (name: string) => headers.some(([k]) => k === name);
      if (!has(":path") || !has(":method") || !has(":authority")) return Status.BadArgument;
      const request = {
        cluster,
        headers,
        body: vm.readBytes(n(bp), n(bl)),
        trailers: pairsAt(tp, tl),
        timeoutMs: n(timeout),
      };
      const id = vm.nextHttpCallId();
      vm.writeU32(n(out), id);
      vm.pendingCallouts.set(id, { owner: vm.effectiveContextId });
      svc.post(() => deliverCallout(vm, id, request));
      return Status.Ok;
    },
    proxy_get_status: (cp, mp, ms) => {
      vm.writeU32(n(cp), vm.calloutStatus.code);
      return vm.returnString(vm.calloutStatus.message, n(mp), n(ms));
    },

    proxy_set_shared_data: (kp, kl, vp, vl, cas) =>
      svc.sharedData.set(vm.spec.vmId, str(kp, kl), vm.readBytes(n(vp), n(vl)), n(cas)),
    proxy_get_shared_data: (kp, kl, pp, sp, cp) => {
      const entry = svc.sharedData.get(vm.spec.vmId, str(kp, kl));
      if (!entry) return Status.NotFound;
      const status = vm.returnBytes(entry.value, n(pp), n(sp));
      if (status === Status.Ok) vm.writeU32(n(cp), entry.cas);
      return status;
    },
    proxy_register_shared_queue: (np, nl, out) => {
      vm.writeU32(n(out), svc.queues.register(vm.spec.vmId, str(np, nl), vm, vm.rootContextId));
      return Status.Ok;
    },
    proxy_resolve_shared_queue: (vp, vl, np, nl, out) => {
      const id = svc.queues.resolve(str(vp, vl), str(np, nl));
      if (id === undefined) return Status.NotFound;
      vm.writeU32(n(out), id);
      return Status.Ok;
    },
    proxy_enqueue_shared_queue: (id, vp, vl) => svc.queues.enqueue(n(id), vm.readBytes(n(vp), n(vl))),
    proxy_dequeue_shared_queue: (id, pp, sp) => {
      const item = svc.queues.dequeue(n(id));
      return typeof item === "number" ? item : vm.returnBytes(item, n(pp), n(sp));
    },

    proxy_define_metric: (type, np, nl, out) => {
      const id = vm.metrics.define(n(type), str(np, nl));
      if (id === Status.BadArgument) return id;
      vm.writeU32(n(out), id);
      return Status.Ok;
    },
    proxy_increment_metric: (id, delta) => vm.metrics.increment(n(id), BigInt(delta ?? 0)),
    proxy_record_metric: (id, value) => vm.metrics.record(n(id), BigInt.asUintN(64, BigInt(value ?? 0))),
    proxy_get_metric: (id, out) => {
      const value = vm.metrics.get(n(id));
      if (typeof value !== "bigint") return value;
      vm.writeU64(n(out), value);
      return Status.Ok;
    },

    proxy_set_effective_context: (id) => {
      const target = n(id);
      if (target !== vm.rootContextId && !vm.streams.has(target)) return Status.BadArgument;
      vm.effectiveContextId = target;
      return Status.Ok;
    },
    proxy_done: () => (vm.rootDone() ? Status.Ok : Status.NotFound),
    proxy_call_foreign_function: (np, nl, ap, al, rp, rs) => {
      const name = str(np, nl);
      const args = vm.readBytes(n(ap), n(al));
      if (name === "clear_route_cache") {
        const s = vm.effectiveStream();
        if (s) s.filterState.set("\u0000route_cache_cleared", Uint8Array.of(1));
        return vm.returnBytes(new Uint8Array(0), n(rp), n(rs));
      }
      const fn = vm.spec.foreignFunctions.get(name);
      if (!fn) return Status.NotFound;
      const result = fn(args);
      return typeof result === "number" ? result : vm.returnBytes(result, n(rp), n(rs));
    },
    proxy_grpc_call: () => Status.Unimplemented,
    proxy_grpc_stream: () => Status.Unimplemented,
    proxy_grpc_send: () => Status.Unimplemented,
    proxy_grpc_cancel: () => Status.Unimplemented,
    proxy_grpc_close: () => Status.Unimplemented,
    envoy_resolve_dns: () => Status.Unimplemented,
    emscripten_notify_memory_growth: () => undefined,
    pthread_equal: (a, b) => (n(a) === n(b) ? 1 : 0),
  };
}

/** Runs a scripted http_call reply on the root context, as Envoy's onHttpCallSuccess/Failure do. */
function deliverCallout(vm: WasmVm, id: number, request: Parameters<WasmVm["services"]["callout"]>[0]): void {
  if (!vm.pendingCallouts.delete(id) || vm.failed) return;
  const reply = vm.services.callout(request);
  if ("failure" in reply) {
    vm.calloutStatus = { code: Status.BrokenConnection, message: "reset" };
    vm.call("proxy_on_http_call_response", vm.rootContextId, id, 0, 0, 0);
    vm.calloutStatus = { code: 0, message: "" };
    return;
  }
  const body = typeof reply.body === "string" ? Buffer.from(reply.body) : (reply.body ?? new Uint8Array(0));
  const response = { headers: reply.headers, body, trailers: reply.trailers ?? [] };
  vm.calloutResponse = response;
  vm.call(
    "proxy_on_http_call_response",
    vm.rootContextId,
    id,
    response.headers.length,
    body.length,
    response.trailers.length,
  );
  vm.calloutResponse = undefined;
}

function wasiFunctions(vm: WasmVm): Record<string, Impl> {
  return {
    fd_write: (fd, iovs, count, out) => {
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < n(count); i++) {
        const [ptr, len] = new Uint32Array(vm.readBytes(n(iovs) + i * 8, 8).buffer);
        chunks.push(vm.readBytes(n(ptr), n(len)));
        total += n(len);
      }
      vm.log(n(fd) === 2 ? 4 : 2, Buffer.concat(chunks).toString("utf8").replace(/\n$/, ""));
      vm.writeU32(n(out), total);
      return 0;
    },
    clock_time_get: (_id, _precision, out) => {
      vm.writeU64(n(out), vm.services.clock.nowNanos());
      return 0;
    },
    clock_res_get: (_id, out) => {
      vm.writeU64(n(out), 1n);
      return 0;
    },
    random_get: (ptr, len) => {
      const bytes = new Uint8Array(n(len));
      for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
      vm.writeBytes(n(ptr), bytes);
      return 0;
    },
    environ_sizes_get: (c, s) => {
      vm.writeU32(n(c), 0);
      vm.writeU32(n(s), 0);
      return 0;
    },
    environ_get: () => 0,
    args_sizes_get: (c, s) => {
      vm.writeU32(n(c), 0);
      vm.writeU32(n(s), 0);
      return 0;
    },
    args_get: () => 0,
    proc_exit: (code) => {
      vm.log(4, `wasi proc_exit(${n(code)}) ignored, as in Envoy`);
      return undefined;
    },
    sched_yield: () => 0,
  };
}

/** Import object for `module`: only what it imports, each call counted and phase-checked. */
export function buildImports(vm: WasmVm, module: WebAssembly.Module): WebAssembly.Imports {
  const env = envFunctions(vm);
  const wasi = wasiFunctions(vm);
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function") continue;
    const impl =
      (imp.module === "env" ? env : WASI_MODULES.includes(imp.module) ? wasi : {})[imp.name] ?? (() => ENOSYS);
    const name = imp.name;
    const recorder = vm.services.recorder;
    const label = vm.label;
    imports[imp.module] ??= {};
    (imports[imp.module] as Record<string, unknown>)[name] = (...args: Args) => {
      recorder.record(label, name, args);
      if (!vm.allowed(name)) throw new RestrictedCall(name, vm.restriction ?? "");
      try {
        return impl(...args);
      } catch (err) {
        if (err instanceof OutOfBounds) return Status.InvalidMemoryAccess;
        throw err;
      }
    };
  }
  return imports as WebAssembly.Imports;
}
