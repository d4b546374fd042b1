// Guest side of the proxy-wasm memory contract. The host calls the exported allocator for every
// value it hands back and the guest owns the block.
// Blocks come from the raw TLSF heap (heap.alloc), not the GC, so they are independent of the
// runtime variant and never moved or collected behind the host's back.
// Zero-length results arrive as (ptr 0, len 0) without an allocation: never heap.free(0).

/** Exported as both `malloc` (Envoy looks it up first) and `proxy_on_memory_allocate` (the spec).
 *  Envoy restricts host calls while this runs, so it must not log or call back into the host. */
export function allocate(size: usize): usize {
  return heap.alloc(size);
}

// Static out-slots the host writes results into (never GC memory).
export const RETURN_PTR: usize = memory.data(4);
export const RETURN_SIZE: usize = memory.data(4);
export const RETURN_U32: usize = memory.data(4);
export const RETURN_U64: usize = memory.data(8);

/** Adopts the block the host just returned through RETURN_PTR/RETURN_SIZE: copies it into a
 *  managed ArrayBuffer and frees the raw block. Zero-length results (ptr 0) allocate nothing. */
export function takeReturnedBytes(): ArrayBuffer {
  const ptr = load<usize>(RETURN_PTR);
  const size = load<u32>(RETURN_SIZE);
  const out = new ArrayBuffer(<i32>size);
  if (ptr != 0) {
    memory.copy(changetype<usize>(out), ptr, size);
    heap.free(ptr);
  }
  return out;
}

/** Decodes the returned block as UTF-8 and frees it (one managed string, no intermediate buffer). */
export function takeReturnedString(): string {
  const ptr = load<usize>(RETURN_PTR);
  const size = load<u32>(RETURN_SIZE);
  if (ptr == 0) return "";
  const text = String.UTF8.decodeUnsafe(ptr, size);
  heap.free(ptr);
  return text;
}

/** True when `size` bytes at `ptr` are the UTF-8 encoding of `text`, for ASCII `text` (a string
 *  with other characters is never equal here: the caller then decodes, which is always right). */
function isAsciiText(ptr: usize, size: usize, text: string): bool {
  if (<usize>text.length != size) return false;
  const chars = changetype<usize>(text);
  for (let i: usize = 0; i < size; i++) {
    const c = load<u16>(chars + (i << 1));
    if (c >= 0x80 || <u16>load<u8>(ptr + i) != c) return false;
  }
  return true;
}

/** Like takeReturnedString, but returns `known` itself when the block holds exactly its text:
 *  values that usually repeat (the endpoint that served, the request's authority) then cost a
 *  byte compare instead of a decode and a new string, and callers can match them by reference. */
export function takeReturnedStringReusing(known: string | null): string {
  const ptr = load<usize>(RETURN_PTR);
  const size = <usize>load<u32>(RETURN_SIZE);
  if (known === null || !isAsciiText(ptr, size, known)) return takeReturnedString();
  if (ptr != 0) heap.free(ptr);
  return known;
}

/** Frees the block the host returned without reading it. */
export function dropReturnedBytes(): void {
  const ptr = load<usize>(RETURN_PTR);
  if (ptr != 0) heap.free(ptr);
}

/** Compares the returned block with `expected` byte for byte, then frees it: a header match without
 *  decoding to a string or allocating. */
export function returnedBytesEqual(expectedPtr: usize, expectedSize: usize): bool {
  const ptr = load<usize>(RETURN_PTR);
  const size = <usize>load<u32>(RETURN_SIZE);
  const equal = size == expectedSize && (size == 0 || memory.compare(ptr, expectedPtr, size) == 0);
  if (ptr != 0) heap.free(ptr);
  return equal;
}

/** Reads a little-endian u64 from the returned block (8 bytes or more) and frees it; `fallback`
 *  when the block is shorter. Used for shared counters and int64 properties. */
export function takeReturnedU64(fallback: u64): u64 {
  const ptr = load<usize>(RETURN_PTR);
  const size = load<u32>(RETURN_SIZE);
  if (ptr == 0) return fallback;
  const value = size >= 8 ? load<u64>(ptr) : fallback;
  heap.free(ptr);
  return value;
}

/** A static region for UTF-8 encoding a string without allocating. A string longer than the
 *  region falls back to a managed buffer kept alive until the next encode into this slot. */
class ScratchSlot {
  size: usize = 0;
  spill: ArrayBuffer | null = null;
  constructor(private readonly region: usize, private readonly capacity: usize) {}

  encode(text: string): usize {
    const size = <usize>String.UTF8.byteLength(text);
    this.size = size;
    if (size <= this.capacity) {
      String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, this.region);
      this.spill = null;
      return this.region;
    }
    const spilled = String.UTF8.encode(text);
    this.spill = spilled;
    return changetype<usize>(spilled);
  }
}

// Two slots (a key and a value) of 2 KiB each.
const SLOT_A = new ScratchSlot(memory.data(2048), 2048);
const SLOT_B = new ScratchSlot(memory.data(2048), 2048);

/** UTF-8 encodes `text` into scratch slot A; returns the pointer, size via `scratchSizeA()`.
 *  Valid until the next encodeA call. */
export function encodeA(text: string): usize {
  return SLOT_A.encode(text);
}

export function scratchSizeA(): usize {
  return SLOT_A.size;
}

/** Same as encodeA for a second string (slot B). */
export function encodeB(text: string): usize {
  return SLOT_B.encode(text);
}

export function scratchSizeB(): usize {
  return SLOT_B.size;
}

/** Pointer of a possibly-null buffer (0 for null), for optional ABI arguments. */
@inline
export function bufferPtr(buffer: ArrayBuffer | null): usize {
  return buffer === null ? 0 : changetype<usize>(buffer);
}

@inline
export function bufferSize(buffer: ArrayBuffer | null): usize {
  return buffer === null ? 0 : <usize>buffer.byteLength;
}
