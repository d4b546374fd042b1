// Shared key/value data, visible to every worker VM with the same vm_id.
// Envoy's semantics: get → (value, cas) or NotFound; set(key, value, cas) fails with CasMismatch
// only when the key EXISTS and cas != 0 and cas differs from the current one; for a missing key the
// cas is ignored (no atomic create-if-absent: two workers racing on a new key both "win", last
// write stays). cas 0 = unconditional. CAS values come from one global counter starting at 1.
// The correct update is get → compute → set(cas) → retry on CasMismatch; `casUpdate` does that.
import { WasmResult } from "./enums";
import { proxy_get_shared_data, proxy_set_shared_data } from "./imports";
import { encodeA, RETURN_PTR, RETURN_SIZE, RETURN_U32, scratchSizeA, takeReturnedBytes } from "./memory";
import { lastStatus, recordStatus } from "./status";

/** A value read from shared data with the CAS token to write it back. */
export class SharedValue {
  constructor(
    public readonly value: ArrayBuffer,
    public readonly cas: u32,
  ) {}
}

let lastCas: u32 = 0;

/** CAS of the most recent successful getSharedData/sharedCounterAdd read (0 when the key was missing). */
export function lastSharedCas(): u32 {
  return lastCas;
}

/** Value and cas, or null (lastStatus() NotFound when the key does not exist). */
export function getSharedData(key: string): SharedValue | null {
  const keyPtr = encodeA(key);
  const status = recordStatus(proxy_get_shared_data(keyPtr, scratchSizeA(), RETURN_PTR, RETURN_SIZE, RETURN_U32));
  if (status != WasmResult.Ok) {
    lastCas = 0;
    return null;
  }
  lastCas = load<u32>(RETURN_U32);
  return new SharedValue(takeReturnedBytes(), lastCas);
}

/** Writes `value`; `cas` 0 = unconditional. Returns Ok or CasMismatch (see module comment). */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32): u32 {
  const keyPtr = encodeA(key);
  return recordStatus(
    proxy_set_shared_data(keyPtr, scratchSizeA(), changetype<usize>(value), <usize>value.byteLength, cas),
  );
}

/** Computes a new value from the current one (null when the key is missing); return null to give
 *  up without writing. Subclass it to carry state (AssemblyScript has no closures). */
export abstract class SharedUpdate {
  abstract apply(current: ArrayBuffer | null): ArrayBuffer | null;
}

/** get → apply → set(cas), retried on CasMismatch up to `maxAttempts` times. Returns Ok, the
 *  last CasMismatch when attempts ran out, a host error from the read, or Empty when the update
 *  declined. Remember: a MISSING key is written unconditionally by Envoy. */
export function casUpdate(key: string, update: SharedUpdate, maxAttempts: i32): u32 {
  let status: u32 = WasmResult.CasMismatch;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const current = getSharedData(key);
    if (current === null && lastStatus() != WasmResult.NotFound) return lastStatus();
    const next = update.apply(current === null ? null : current.value);
    if (next === null) return recordStatus(WasmResult.Empty);
    status = setSharedData(key, next, current === null ? 0 : current.cas);
    if (status != WasmResult.CasMismatch) return status;
  }
  return recordStatus(status);
}

/** An update that reads the current value where the host put it and writes the next one into
 *  `out` (room for `capacity` bytes). `found` is false for a missing key. Returns the number of
 *  bytes written, or −1 to give up without writing. */
export abstract class SharedUpdateInPlace {
  abstract apply(found: bool, current: usize, size: usize, out: usize, capacity: usize): i32;
}

const UPDATE_CAPACITY: usize = 256;
const UPDATE_OUT: usize = memory.data(<i32>UPDATE_CAPACITY);

/** casUpdate without managed allocation, for per-request updates of small values: the key is
 *  UTF-8 already (`keyPtr`, `keySize`), the host's block is read in place and freed, the next
 *  value is written from static scratch. Same protocol and results as casUpdate. */
export function casUpdateInPlace(keyPtr: usize, keySize: usize, update: SharedUpdateInPlace, maxAttempts: i32): u32 {
  let status: u32 = WasmResult.CasMismatch;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const read = recordStatus(proxy_get_shared_data(keyPtr, keySize, RETURN_PTR, RETURN_SIZE, RETURN_U32));
    let cas: u32 = 0;
    let ptr: usize = 0;
    let size: usize = 0;
    if (read == WasmResult.Ok) {
      cas = load<u32>(RETURN_U32);
      ptr = load<usize>(RETURN_PTR);
      size = <usize>load<u32>(RETURN_SIZE);
    } else if (read != WasmResult.NotFound) {
      lastCas = 0;
      return read;
    }
    lastCas = cas;
    const written = update.apply(read == WasmResult.Ok, ptr, size, UPDATE_OUT, UPDATE_CAPACITY);
    if (ptr != 0) heap.free(ptr);
    if (written < 0) return recordStatus(WasmResult.Empty);
    status = recordStatus(proxy_set_shared_data(keyPtr, keySize, UPDATE_OUT, <usize>written, cas));
    if (status != WasmResult.CasMismatch) return status;
  }
  return recordStatus(status);
}

// Scratch for the 8-byte counter value written by sharedCounterAdd.
const COUNTER_SCRATCH: usize = memory.data(8);

/** Adds `delta` to a little-endian u64 counter stored under `key` with the CAS loop, without
 *  managed allocation. Returns the new value, or -1 when all `maxAttempts` lost the race or the
 *  host failed (lastStatus() tells which). A missing key starts from 0. */
export function sharedCounterAdd(key: string, delta: i64, maxAttempts: i32): i64 {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const keyPtr = encodeA(key);
    const keySize = scratchSizeA();
    const status = recordStatus(proxy_get_shared_data(keyPtr, keySize, RETURN_PTR, RETURN_SIZE, RETURN_U32));
    let current: i64 = 0;
    let cas: u32 = 0;
    if (status == WasmResult.Ok) {
      cas = load<u32>(RETURN_U32);
      const ptr = load<usize>(RETURN_PTR);
      if (ptr != 0) {
        if (load<u32>(RETURN_SIZE) >= 8) current = load<i64>(ptr);
        heap.free(ptr);
      }
    } else if (status != WasmResult.NotFound) {
      return -1;
    }
    lastCas = cas;
    const next = current + delta;
    store<i64>(COUNTER_SCRATCH, next);
    const written = recordStatus(proxy_set_shared_data(keyPtr, keySize, COUNTER_SCRATCH, 8, cas));
    if (written == WasmResult.Ok) return next;
    if (written != WasmResult.CasMismatch) return -1;
  }
  return -1;
}
