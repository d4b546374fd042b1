// Properties (Envoy attributes, as proxy_get_property serves them). A path is its segments joined by NUL bytes
// ("request\0headers\0x-foo"), not dots. Values come serialized: string/bytes raw; int64, uint64
// and double as 8 bytes little-endian; bool as 1 byte; duration and timestamp as int64
// NANOSECONDS; maps and lists in the pairs format (lists with empty values). Anything missing is
// NotFound. set_property stores under filter state `wasm.<path>` and reads back through the same
// path; it is NotFound on a root context (no stream).
import { WasmResult } from "./enums";
import { proxy_get_property, proxy_set_property } from "./imports";
import { RETURN_PTR, RETURN_SIZE, takeReturnedBytes, takeReturnedString, takeReturnedStringReusing } from "./memory";
import { HeaderPairs, takeReturnedPairs } from "./pairs";
import { recordStatus } from "./status";

/** A property path encoded once (UTF-8 segments joined by NUL): build constants at top level. */
export class PropertyPath {
  readonly bytes: ArrayBuffer;

  constructor(segments: Array<string>) {
    let total = 0;
    for (let i = 0; i < segments.length; i++) total += String.UTF8.byteLength(segments[i]) + (i > 0 ? 1 : 0);
    this.bytes = new ArrayBuffer(total);
    let at = changetype<usize>(this.bytes);
    for (let i = 0; i < segments.length; i++) {
      if (i > 0) {
        store<u8>(at, 0);
        at += 1;
      }
      const s = segments[i];
      at += <usize>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at);
    }
  }

  /** Splits on '.' — convenient for attribute names whose segments contain no dots. */
  static dotted(path: string): PropertyPath {
    return new PropertyPath(path.split("."));
  }

  @inline get ptr(): usize {
    return changetype<usize>(this.bytes);
  }
  @inline get size(): usize {
    return <usize>this.bytes.byteLength;
  }
}

function fetch(path: PropertyPath): bool {
  return recordStatus(proxy_get_property(path.ptr, path.size, RETURN_PTR, RETURN_SIZE)) == WasmResult.Ok;
}

/** Raw serialized value, or null (lastStatus(): NotFound, SerializationFailure, ...). */
export function getProperty(path: PropertyPath): ArrayBuffer | null {
  return fetch(path) ? takeReturnedBytes() : null;
}

/** String/bytes property decoded as UTF-8, or null. */
export function getPropertyString(path: PropertyPath): string | null {
  return fetch(path) ? takeReturnedString() : null;
}

/** String property, or null; `known` itself when the value is exactly its (ASCII) text, without
 *  decoding or allocating. */
export function getPropertyStringReusing(path: PropertyPath, known: string | null): string | null {
  return fetch(path) ? takeReturnedStringReusing(known) : null;
}

/** Adopts a fixed-size value (sizeof<T>() bytes, little-endian) from the returned block, or
 *  `fallback` with status SerializationFailure when the size differs. Frees the block. */
function takeFixed<T>(fallback: T): T {
  const ptr = load<usize>(RETURN_PTR);
  const size = <usize>load<u32>(RETURN_SIZE);
  let value = fallback;
  if (size == sizeof<T>()) value = load<T>(ptr);
  else recordStatus(WasmResult.SerializationFailure);
  if (ptr != 0) heap.free(ptr);
  return value;
}

/** 8-byte little-endian integer property (int64/uint64), or `fallback` when absent or not 8 bytes
 *  (lastStatus() is SerializationFailure for a wrong size). */
export function getPropertyInt64(path: PropertyPath, fallback: i64): i64 {
  return fetch(path) ? takeFixed<i64>(fallback) : fallback;
}

/** Duration or timestamp property in nanoseconds (Envoy encodes both as int64 ns). */
export function getPropertyNanos(path: PropertyPath, fallback: i64): i64 {
  return getPropertyInt64(path, fallback);
}

/** Double property (8 bytes LE IEEE-754), or `fallback`. */
export function getPropertyFloat64(path: PropertyPath, fallback: f64): f64 {
  return fetch(path) ? takeFixed<f64>(fallback) : fallback;
}

/** Bool property (1 byte), or `fallback`. */
export function getPropertyBool(path: PropertyPath, fallback: bool): bool {
  return fetch(path) ? takeFixed<u8>(fallback ? 1 : 0) != 0 : fallback;
}

/** Map or list property in the pairs format, or null (ParseFailure when malformed). */
export function getPropertyPairs(path: PropertyPath): HeaderPairs | null {
  return fetch(path) ? takeReturnedPairs() : null;
}

export function setProperty(path: PropertyPath, value: ArrayBuffer): u32 {
  return recordStatus(proxy_set_property(path.ptr, path.size, changetype<usize>(value), <usize>value.byteLength));
}

export function setPropertyString(path: PropertyPath, value: string): u32 {
  return setProperty(path, String.UTF8.encode(value));
}
