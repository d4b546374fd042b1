// Body and configuration buffers. Envoy clamps reads to what is available and returns (0,0) for an
// empty range; NotFound when the buffer does not exist in this phase (e.g. PLUGIN_CONFIGURATION
// outside on_configure). Envoy's set supports exactly two shapes: start == 0 (drop `size` bytes from
// the front, then prepend — start 0, size = current length replaces everything) and start >= length
// (append); anything else is BadArgument.
import { BufferType, WasmResult } from "./enums";
import { proxy_get_buffer_bytes, proxy_get_buffer_status, proxy_set_buffer_bytes } from "./imports";
import {
  bufferPtr,
  bufferSize,
  RETURN_PTR,
  RETURN_SIZE,
  RETURN_U32,
  takeReturnedBytes,
  takeReturnedString,
} from "./memory";
import { recordStatus } from "./status";

/** Up to `maxSize` bytes from `start`, or null (lastStatus() says why). */
export function getBuffer(type: BufferType, start: u32, maxSize: u32): ArrayBuffer | null {
  const status = recordStatus(proxy_get_buffer_bytes(<u32>type, start, maxSize, RETURN_PTR, RETURN_SIZE));
  if (status != WasmResult.Ok) return null;
  return takeReturnedBytes();
}

/** The buffer decoded as UTF-8 (lossy for invalid sequences), or null. */
export function getBufferString(type: BufferType, start: u32, maxSize: u32): string | null {
  const status = recordStatus(proxy_get_buffer_bytes(<u32>type, start, maxSize, RETURN_PTR, RETURN_SIZE));
  if (status != WasmResult.Ok) return null;
  return takeReturnedString();
}

/** Bytes currently in the buffer; u32.MAX_VALUE when the buffer is not available now. */
export function bufferLength(type: BufferType): u32 {
  const status = recordStatus(proxy_get_buffer_status(<u32>type, RETURN_U32, RETURN_SIZE));
  return status == WasmResult.Ok ? load<u32>(RETURN_U32) : u32.MAX_VALUE;
}

/** Raw set (see module comment for the two shapes Envoy accepts). */
export function setBuffer(type: BufferType, start: u32, size: u32, data: ArrayBuffer | null): u32 {
  return recordStatus(proxy_set_buffer_bytes(<u32>type, start, size, bufferPtr(data), bufferSize(data)));
}

/** Replaces the whole buffer with `data`. */
export function replaceBuffer(type: BufferType, data: ArrayBuffer): u32 {
  const length = bufferLength(type);
  if (length == u32.MAX_VALUE) return recordStatus(WasmResult.NotFound);
  return setBuffer(type, 0, length, data);
}

export function appendBuffer(type: BufferType, data: ArrayBuffer): u32 {
  const length = bufferLength(type);
  if (length == u32.MAX_VALUE) return recordStatus(WasmResult.NotFound);
  return setBuffer(type, length, 0, data);
}

export function prependBuffer(type: BufferType, data: ArrayBuffer): u32 {
  return setBuffer(type, 0, 0, data);
}
