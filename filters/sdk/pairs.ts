// The proxy-wasm "pairs" format used for header maps, local-response headers, http_call
// headers/trailers and map/list properties (proxy-wasm-cpp-host src/pairs_util.cc):
//   u32 N | N × (u32 key_len, u32 value_len) | N × (key bytes, 0x00, value bytes, 0x00)
// all little-endian; size = 4 + Σ(8 + key_len + 1 + value_len + 1).
// Envoy accepts at most 1024 pairs and 1 MiB and silently treats anything malformed or larger as an
// EMPTY map (set_header_map_pairs with such a buffer wipes every header). So the serializer refuses
// (returns null) instead of producing a buffer Envoy would misread, and the parser returns null on
// anything Envoy's parser would reject.

import { WasmResult } from "./enums";
import { RETURN_PTR, RETURN_SIZE } from "./memory";
import { recordStatus } from "./status";

/** cpp-host limits.h PROXY_WASM_HOST_PAIRS_MAX_COUNT / _MAX_BYTES. */
export const PAIRS_MAX_COUNT: i32 = 1024;
export const PAIRS_MAX_BYTES: usize = 1 << 20;

/** An ordered multimap of UTF-8 text pairs; keys keep the case given (Envoy lower-cases header keys). */
export class HeaderPairs {
  keys: Array<string> = new Array<string>();
  values: Array<string> = new Array<string>();

  get length(): i32 {
    return this.keys.length;
  }

  add(key: string, value: string): HeaderPairs {
    this.keys.push(key);
    this.values.push(value);
    return this;
  }

  /** First value for `key` (exact match), or null. */
  get(key: string): string | null {
    for (let i = 0, n = this.keys.length; i < n; i++) if (this.keys[i] == key) return this.values[i];
    return null;
  }

  /** Every value for `key`, in order. */
  getAll(key: string): Array<string> {
    const out = new Array<string>();
    for (let i = 0, n = this.keys.length; i < n; i++) if (this.keys[i] == key) out.push(this.values[i]);
    return out;
  }

  /** Removes every entry for `key`; returns how many were removed. */
  remove(key: string): i32 {
    let removed = 0;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] == key) {
        this.keys.splice(i, 1);
        this.values.splice(i, 1);
        removed++;
      }
    }
    return removed;
  }

  /** Replaces every value of `key` with one (adds it when missing), like Envoy's setCopy. */
  set(key: string, value: string): HeaderPairs {
    this.remove(key);
    return this.add(key, value);
  }

  /** The pairs encoding, or null when it would exceed Envoy's limits (count or bytes). An empty
   *  map encodes as 4 bytes N=0. */
  serialize(): ArrayBuffer | null {
    const n = this.keys.length;
    if (n > PAIRS_MAX_COUNT) return null;
    let total: usize = 4;
    for (let i = 0; i < n; i++) {
      total += 10 + <usize>String.UTF8.byteLength(this.keys[i]) + <usize>String.UTF8.byteLength(this.values[i]);
      if (total > PAIRS_MAX_BYTES) return null;
    }
    const out = new ArrayBuffer(<i32>total);
    const base = changetype<usize>(out);
    store<u32>(base, <u32>n);
    let sizes = base + 4;
    let data = base + 4 + <usize>n * 8;
    for (let i = 0; i < n; i++) {
      const key = this.keys[i];
      const value = this.values[i];
      const keySize = <usize>String.UTF8.encodeUnsafe(changetype<usize>(key), key.length, data);
      store<u8>(data + keySize, 0);
      data += keySize + 1;
      const valueSize = <usize>String.UTF8.encodeUnsafe(changetype<usize>(value), value.length, data);
      store<u8>(data + valueSize, 0);
      data += valueSize + 1;
      store<u32>(sizes, <u32>keySize);
      store<u32>(sizes + 4, <u32>valueSize);
      sizes += 8;
    }
    return out;
  }

  /** Parses `size` bytes at `ptr` (size 0 ⇒ empty map). Null when malformed or over the limits,
   *  applying the same rules as Envoy: NUL after every key and value, buffer consumed exactly. */
  static parseRaw(ptr: usize, size: usize): HeaderPairs | null {
    const pairs = new HeaderPairs();
    if (size == 0) return pairs;
    if (size < 4 || size > PAIRS_MAX_BYTES) return null;
    const n = <usize>load<u32>(ptr);
    if (n > <usize>PAIRS_MAX_COUNT || <usize>4 + n * <usize>8 > size) return null;
    let data = ptr + 4 + n * 8;
    const end = ptr + size;
    for (let i: usize = 0; i < n; i++) {
      const keySize = <usize>load<u32>(ptr + 4 + i * 8);
      const valueSize = <usize>load<u32>(ptr + 8 + i * 8);
      if (keySize + valueSize + 2 > end - data) return null;
      if (load<u8>(data + keySize) != 0 || load<u8>(data + keySize + 1 + valueSize) != 0) return null;
      pairs.keys.push(String.UTF8.decodeUnsafe(data, keySize));
      pairs.values.push(String.UTF8.decodeUnsafe(data + keySize + 1, valueSize));
      data += keySize + valueSize + 2;
    }
    return data == end ? pairs : null;
  }

  static parse(buffer: ArrayBuffer): HeaderPairs | null {
    return HeaderPairs.parseRaw(changetype<usize>(buffer), <usize>buffer.byteLength);
  }
}

/** Parses the block the host just returned through RETURN_PTR/RETURN_SIZE as pairs and frees it;
 *  null (status ParseFailure) when it does not parse. */
export function takeReturnedPairs(): HeaderPairs | null {
  const ptr = load<usize>(RETURN_PTR);
  const size = <usize>load<u32>(RETURN_SIZE);
  const pairs = HeaderPairs.parseRaw(ptr, size);
  if (ptr != 0) heap.free(ptr);
  if (pairs === null) recordStatus(WasmResult.ParseFailure);
  return pairs;
}
