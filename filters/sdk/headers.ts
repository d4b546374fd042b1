// Header maps (request/response headers and trailers, http_call response headers/trailers).
// Envoy lower-cases keys; get returns only the FIRST value of a repeated header (use getHeaderPairs
// when repeats matter); replace is setCopy (adds when missing); remove is Ok when absent; size is the
// map's BYTE size, not its entry count; a map that is not available in this phase gives BadArgument
// for get-one and an empty map (Ok, 0 bytes) for get-all.
// Hot path: pass pre-encoded `Utf8` names; `headerEquals` compares without allocating.
import { MapType, WasmResult } from "./enums";
import {
  proxy_add_header_map_value,
  proxy_get_header_map_pairs,
  proxy_get_header_map_size,
  proxy_get_header_map_value,
  proxy_remove_header_map_value,
  proxy_replace_header_map_value,
  proxy_set_header_map_pairs,
} from "./imports";
import {
  encodeA,
  encodeB,
  RETURN_PTR,
  RETURN_SIZE,
  RETURN_U32,
  returnedBytesEqual,
  scratchSizeA,
  scratchSizeB,
  takeReturnedBytes,
  takeReturnedString,
  takeReturnedStringReusing,
} from "./memory";
import { HeaderPairs, takeReturnedPairs } from "./pairs";
import { recordStatus } from "./status";

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

/** First value of `name` as bytes, or null when absent (NotFound) or unavailable (BadArgument);
 *  lastStatus() tells which. */
export function getHeader(map: MapType, name: Utf8): ArrayBuffer | null {
  const status = recordStatus(proxy_get_header_map_value(<u32>map, name.ptr, name.size, RETURN_PTR, RETURN_SIZE));
  if (status != WasmResult.Ok) return null;
  return takeReturnedBytes();
}

/** First value of `name` decoded as UTF-8, or null (see getHeader). */
export function getHeaderString(map: MapType, name: string): string | null {
  const keyPtr = encodeA(name);
  const status = recordStatus(proxy_get_header_map_value(<u32>map, keyPtr, scratchSizeA(), RETURN_PTR, RETURN_SIZE));
  if (status != WasmResult.Ok) return null;
  return takeReturnedString();
}

/** First value of `name` decoded as UTF-8, or null (see getHeader); `known` itself when the value
 *  is exactly its (ASCII) text, without decoding or allocating. */
export function getHeaderStringReusing(map: MapType, name: Utf8, known: string | null): string | null {
  const status = recordStatus(proxy_get_header_map_value(<u32>map, name.ptr, name.size, RETURN_PTR, RETURN_SIZE));
  if (status != WasmResult.Ok) return null;
  return takeReturnedStringReusing(known);
}

/** True when the first value of `name` equals `expected` byte for byte. No managed allocation:
 *  the host's block is compared in place and freed. False when absent or unavailable. */
export function headerEquals(map: MapType, name: Utf8, expected: Utf8): bool {
  const status = recordStatus(proxy_get_header_map_value(<u32>map, name.ptr, name.size, RETURN_PTR, RETURN_SIZE));
  if (status != WasmResult.Ok) return false;
  return returnedBytesEqual(expected.ptr, expected.size);
}

/** True when `name` is present (its value is read and dropped). */
export function hasHeader(map: MapType, name: Utf8): bool {
  const status = recordStatus(proxy_get_header_map_value(<u32>map, name.ptr, name.size, RETURN_PTR, RETURN_SIZE));
  if (status != WasmResult.Ok) return false;
  returnedBytesEqual(0, 0);
  return true;
}

/** Every entry in order (repeats included). An unavailable map comes back empty with Ok, as in
 *  Envoy; null only when the host's buffer does not parse. */
export function getHeaderPairs(map: MapType): HeaderPairs | null {
  const status = recordStatus(proxy_get_header_map_pairs(<u32>map, RETURN_PTR, RETURN_SIZE));
  return status == WasmResult.Ok ? takeReturnedPairs() : null;
}

/** Replaces the whole map. Returns SerializationFailure (without calling the host) when `pairs`
 *  exceeds Envoy's limits, because Envoy would otherwise wipe every header. */
export function setHeaderPairs(map: MapType, pairs: HeaderPairs): u32 {
  const bytes = pairs.serialize();
  if (bytes === null) return recordStatus(WasmResult.SerializationFailure);
  return recordStatus(proxy_set_header_map_pairs(<u32>map, changetype<usize>(bytes), <usize>bytes.byteLength));
}

/** Envoy: the map's size in BYTES (sum of key and value lengths); u32.MAX_VALUE when unavailable. */
export function headerMapByteSize(map: MapType): u32 {
  const status = recordStatus(proxy_get_header_map_size(<u32>map, RETURN_U32));
  return status == WasmResult.Ok ? load<u32>(RETURN_U32) : u32.MAX_VALUE;
}

export function addHeader(map: MapType, name: Utf8, value: Utf8): u32 {
  return recordStatus(proxy_add_header_map_value(<u32>map, name.ptr, name.size, value.ptr, value.size));
}

export function addHeaderString(map: MapType, name: string, value: string): u32 {
  const keyPtr = encodeA(name);
  const valuePtr = encodeB(value);
  return recordStatus(proxy_add_header_map_value(<u32>map, keyPtr, scratchSizeA(), valuePtr, scratchSizeB()));
}

/** Envoy's replace is setCopy: it replaces every value or adds the header when missing. */
export function replaceHeader(map: MapType, name: Utf8, value: Utf8): u32 {
  return recordStatus(proxy_replace_header_map_value(<u32>map, name.ptr, name.size, value.ptr, value.size));
}

/** replaceHeader with a value the caller already wrote into linear memory (a static buffer), for
 *  hot paths that must not allocate per request. */
export function replaceHeaderBytes(map: MapType, name: Utf8, valuePtr: usize, valueSize: usize): u32 {
  return recordStatus(proxy_replace_header_map_value(<u32>map, name.ptr, name.size, valuePtr, valueSize));
}

export function replaceHeaderString(map: MapType, name: string, value: string): u32 {
  const keyPtr = encodeA(name);
  const valuePtr = encodeB(value);
  return recordStatus(proxy_replace_header_map_value(<u32>map, keyPtr, scratchSizeA(), valuePtr, scratchSizeB()));
}

export function removeHeader(map: MapType, name: Utf8): u32 {
  return recordStatus(proxy_remove_header_map_value(<u32>map, name.ptr, name.size));
}

export function removeHeaderString(map: MapType, name: string): u32 {
  const keyPtr = encodeA(name);
  return recordStatus(proxy_remove_header_map_value(<u32>map, keyPtr, scratchSizeA()));
}
