// Which header map or buffer a host call sees right now, following Envoy's Context::getConstMap,
// getMap and getBuffer (source/extensions/common/wasm/context.cc): stream maps only in their phase
// (access-log copies during on_log), http_call response data from the ROOT context whatever the
// effective context, PLUGIN_CONFIGURATION only during on_configure.
import type { Pair } from "./pairs.ts";
import type { StreamState, WasmVm } from "./vm.ts";

// ---- header maps (Envoy getConstMap / getMap) ------------------------------------------------------

export function readableMap(vm: WasmVm, type: number): Pair[] | null {
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

export function writableMap(vm: WasmVm, type: number): Pair[] | null {
  const s = vm.effectiveStream();
  if (!s) return null;
  return [s.requestHeaders, s.requestTrailers, s.responseHeaders, s.responseTrailers][type] ?? null;
}

/** Envoy HeaderMap::setCopy: first entry takes the value, later duplicates go; adds when missing. */
export function setCopy(map: Pair[], key: string, value: string): void {
  const first = map.findIndex(([k]) => k === key);
  if (first < 0) {
    map.push([key, value]);
    return;
  }
  (map[first] as Pair)[1] = value;
  for (let i = map.length - 1; i > first; i--) if ((map[i] as Pair)[0] === key) map.splice(i, 1);
}

export function removeAll(map: Pair[], key: string): void {
  for (let i = map.length - 1; i >= 0; i--) if ((map[i] as Pair)[0] === key) map.splice(i, 1);
}

export const byteSize = (map: Pair[]): number =>
  map.reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

// ---- buffers (Envoy getBuffer) ---------------------------------------------------------------------

export function readableBuffer(vm: WasmVm, type: number): Uint8Array | null {
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
export function editBody(current: Uint8Array, start: number, size: number, data: Uint8Array): Uint8Array | null {
  if (start === 0) return Buffer.concat([data, current.subarray(Math.min(size, current.length))]);
  if (start >= current.length) return Buffer.concat([current, data]);
  return null;
}

export function setBody(s: StreamState, type: number, body: Uint8Array): void {
  if (type === 0) s.requestBody = body;
  else s.responseBody = body;
}
