// Guest side of the proxy-wasm memory contract (reference: proxy-wasm-abi.md §1.7).
// The host calls the exported allocator for every value it hands back and the guest owns the block.
// Blocks come from the raw TLSF heap (heap.alloc), not the GC, so they are independent of the
// runtime variant and never moved or collected behind the host's back.

/** Exported as both `malloc` (Envoy looks it up first) and `proxy_on_memory_allocate` (the spec). */
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

/** Frees the block the host returned without reading it. */
export function dropReturnedBytes(): void {
  const ptr = load<usize>(RETURN_PTR);
  if (ptr != 0) heap.free(ptr);
}
