import { MapType, WasmResult } from "./enums";
import {
  proxy_add_header_map_value,
  proxy_get_header_map_value,
  proxy_remove_header_map_value,
  proxy_replace_header_map_value,
} from "./imports";
import { RETURN_PTR, RETURN_SIZE, takeReturnedBytes } from "./memory";

/** A header name or value already encoded as UTF-8: encode constant names once, not per request. */
export class Utf8 {
  readonly bytes: ArrayBuffer;
  constructor(text: string) {
    this.bytes = String.UTF8.encode(text);
  }
  @inline get ptr(): usize {
    return changetype<usize>(this.bytes);
  }
  @inline get size(): usize {
    return <usize>this.bytes.byteLength;
  }
}

/** First value of `name` in `map`, or null when absent or when the map is unavailable now. */
export function getHeader(map: MapType, name: Utf8): ArrayBuffer | null {
  const status = proxy_get_header_map_value(<u32>map, name.ptr, name.size, RETURN_PTR, RETURN_SIZE);
  if (status != WasmResult.Ok) return null;
  return takeReturnedBytes();
}

export function addHeader(map: MapType, name: Utf8, value: Utf8): u32 {
  return proxy_add_header_map_value(<u32>map, name.ptr, name.size, value.ptr, value.size);
}

/** Envoy's replace is setCopy: it replaces every value or adds the header when missing. */
export function replaceHeader(map: MapType, name: Utf8, value: Utf8): u32 {
  return proxy_replace_header_map_value(<u32>map, name.ptr, name.size, value.ptr, value.size);
}

export function removeHeader(map: MapType, name: Utf8): u32 {
  return proxy_remove_header_map_value(<u32>map, name.ptr, name.size);
}
