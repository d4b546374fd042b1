// The host functions a proxy-wasm module imports, implemented with Envoy's semantics
// (Envoy source/extensions/common/wasm/context.cc, proxy-wasm-cpp-host src/exports.cc). Every call is counted by the HostCallRecorder. A bad guest pointer yields
// InvalidMemoryAccess; a call Envoy forbids in the current phase (restricted `_initialize` or
// `malloc`) traps like Envoy's restricted_callback.
import { WASI_MODULES } from "../../scripts/lib/envoy-abi.ts";
import { resolveProperty } from "./attributes.ts";
import { deliverCallout } from "./callouts.ts";
import { OutOfBounds } from "./guest-memory.ts";
import {
  byteSize,
  editBody,
  readableBuffer,
  readableMap,
  removeAll,
  setBody,
  setCopy,
  writableMap,
} from "./maps-and-buffers.ts";
import { decodePairs, encodePairs, type Pair } from "./pairs.ts";
import { Status } from "./shared-data.ts";
import { RestrictedCall, type WasmVm } from "./vm.ts";
import { wasiFunctions } from "./wasi.ts";

type Impl = (...args: (number | bigint)[]) => number | undefined;
type Args = (number | bigint)[];
const n = (v: number | bigint | undefined): number => Number(v ?? 0);
const ENOSYS = 52;

// ---- the table ----------------------------------------------------------------------------------------

function envFunctions(vm: WasmVm): Record<string, Impl> {
  const svc = vm.services;
  const str = (p: number | bigint | undefined, l: number | bigint | undefined) => vm.mem.readString(n(p), n(l));
  const pairsAt = (p: number | bigint | undefined, l: number | bigint | undefined): Pair[] =>
    decodePairs(vm.mem.readBytes(n(p), n(l))) ?? [];
  return {
    proxy_log: (level, p, l) => {
      if (n(level) > 5) return Status.BadArgument;
      vm.log(n(level), str(p, l));
      return Status.Ok;
    },
    proxy_get_log_level: (out) => {
      vm.mem.writeU32(n(out), vm.spec.logLevel);
      return Status.Ok;
    },
    proxy_get_current_time_nanoseconds: (out) => {
      vm.mem.writeU64(n(out), svc.clock.nowNanos());
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
      return vm.mem.returnBytes(buffer.subarray(from, to), n(pp), n(sp));
    },
    proxy_get_buffer_status: (type, lp, fp) => {
      const buffer = readableBuffer(vm, n(type));
      if (!buffer) return Status.NotFound;
      vm.mem.writeU32(n(lp), buffer.length);
      vm.mem.writeU32(n(fp), 0);
      return Status.Ok;
    },
    proxy_set_buffer_bytes: (type, start, size, dp, dl) => {
      const t = n(type);
      const s = vm.effectiveStream();
      if (t !== 0 && t !== 1)
        return t > 8 ? Status.BadArgument : readableBuffer(vm, t) ? Status.BadArgument : Status.NotFound;
      const current = readableBuffer(vm, t);
      if (!current || !s) return Status.NotFound;
      const edited = editBody(current, n(start), n(size), vm.mem.readBytes(n(dp), n(dl)));
      if (!edited) return Status.BadArgument;
      setBody(s, t, edited);
      return Status.Ok;
    },

    proxy_get_header_map_pairs: (type, pp, sp) => {
      const map = readableMap(vm, n(type));
      return vm.mem.returnBytes(map && map.length > 0 ? encodePairs(map) : new Uint8Array(0), n(pp), n(sp));
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
      vm.mem.writeU32(n(out), byteSize(map));
      return Status.Ok;
    },
    proxy_get_header_map_value: (type, kp, kl, pp, sp) => {
      const map = readableMap(vm, n(type));
      if (!map) return vm.effectiveStream()?.accessLogPhase ? Status.NotFound : Status.BadArgument;
      const key = str(kp, kl).toLowerCase();
      const entry = map.find(([k]) => k === key);
      if (!entry) return Status.NotFound;
      return vm.mem.returnString(entry[1], n(pp), n(sp));
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
      return value ? vm.mem.returnBytes(value, n(rp), n(rs)) : Status.NotFound;
    },
    proxy_set_property: (pp, pl, vp, vl) => {
      const s = vm.effectiveStream();
      if (!s) return Status.NotFound;
      s.filterState.set(str(pp, pl), vm.mem.readBytes(n(vp), n(vl)));
      return Status.Ok;
    },

    proxy_send_local_response: (status, dp, dl, bp, bl, hp, hl, grpc) => {
      const s = vm.effectiveStream();
      const reply = {
        status: n(status),
        details: str(dp, dl).replace(/\s/g, "_"),
        body: vm.mem.readBytes(n(bp), n(bl)),
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
        body: vm.mem.readBytes(n(bp), n(bl)),
        trailers: pairsAt(tp, tl),
        timeoutMs: n(timeout),
      };
      const id = vm.nextHttpCallId();
      vm.mem.writeU32(n(out), id);
      vm.pendingCallouts.set(id, { owner: vm.effectiveContextId });
      svc.post(() => deliverCallout(vm, id, request));
      return Status.Ok;
    },
    proxy_get_status: (cp, mp, ms) => {
      vm.mem.writeU32(n(cp), vm.calloutStatus.code);
      return vm.mem.returnString(vm.calloutStatus.message, n(mp), n(ms));
    },

    proxy_set_shared_data: (kp, kl, vp, vl, cas) =>
      svc.sharedData.set(vm.spec.vmId, str(kp, kl), vm.mem.readBytes(n(vp), n(vl)), n(cas)),
    proxy_get_shared_data: (kp, kl, pp, sp, cp) => {
      const entry = svc.sharedData.get(vm.spec.vmId, str(kp, kl));
      if (!entry) return Status.NotFound;
      const status = vm.mem.returnBytes(entry.value, n(pp), n(sp));
      if (status === Status.Ok) vm.mem.writeU32(n(cp), entry.cas);
      return status;
    },
    proxy_register_shared_queue: (np, nl, out) => {
      vm.mem.writeU32(n(out), svc.queues.register(vm.spec.vmId, str(np, nl), vm, vm.rootContextId));
      return Status.Ok;
    },
    proxy_resolve_shared_queue: (vp, vl, np, nl, out) => {
      const id = svc.queues.resolve(str(vp, vl), str(np, nl));
      if (id === undefined) return Status.NotFound;
      vm.mem.writeU32(n(out), id);
      return Status.Ok;
    },
    proxy_enqueue_shared_queue: (id, vp, vl) => svc.queues.enqueue(n(id), vm.mem.readBytes(n(vp), n(vl))),
    proxy_dequeue_shared_queue: (id, pp, sp) => {
      const item = svc.queues.dequeue(n(id));
      return typeof item === "number" ? item : vm.mem.returnBytes(item, n(pp), n(sp));
    },

    proxy_define_metric: (type, np, nl, out) => {
      const id = vm.metrics.define(n(type), str(np, nl));
      if (id === Status.BadArgument) return id;
      vm.mem.writeU32(n(out), id);
      return Status.Ok;
    },
    proxy_increment_metric: (id, delta) => vm.metrics.increment(n(id), BigInt(delta ?? 0)),
    proxy_record_metric: (id, value) => vm.metrics.record(n(id), BigInt.asUintN(64, BigInt(value ?? 0))),
    proxy_get_metric: (id, out) => {
      const value = vm.metrics.get(n(id));
      if (typeof value !== "bigint") return value;
      vm.mem.writeU64(n(out), value);
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
      const args = vm.mem.readBytes(n(ap), n(al));
      if (name === "clear_route_cache") {
        const s = vm.effectiveStream();
        if (s) s.filterState.set("\u0000route_cache_cleared", Uint8Array.of(1));
        return vm.mem.returnBytes(new Uint8Array(0), n(rp), n(rs));
      }
      const fn = vm.spec.foreignFunctions.get(name);
      if (!fn) return Status.NotFound;
      const result = fn(args);
      return typeof result === "number" ? result : vm.mem.returnBytes(result, n(rp), n(rs));
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
    const observer = vm.services.observer;
    const label = vm.label;
    imports[imp.module] ??= {};
    (imports[imp.module] as Record<string, unknown>)[name] = (...args: Args) => {
      recorder.record(label, name, args);
      observer?.hostCall(label, name);
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
