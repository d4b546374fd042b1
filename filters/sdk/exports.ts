// Every proxy_on_* callback Envoy invokes on an HTTP filter module, with the exact wasm signatures
// proxy-wasm-cpp-host type-checks (include/proxy-wasm/wasm.h). Re-export from a filter's entry file:
//   export * from "../sdk/exports";
// The abort handler must be part of the program for `--use abort=filters/sdk/abort/proxyAbort`.
// Unknown context ids are ignored (Continue), never trapped on.
import "./abort";
import { BufferType } from "./enums";
import { proxy_get_buffer_bytes, proxy_set_effective_context } from "./imports";
import { allocate, RETURN_PTR, RETURN_SIZE, takeReturnedBytes } from "./memory";
import { createRoot, HttpContext, RootContext } from "./context";
import { ORPHANED_CALL, orphanCallsOf, takeCallOwner } from "./http-call";

const roots = new Map<u32, RootContext>();
const streams = new Map<u32, HttpContext>();

function readBuffer(type: BufferType, size: u32): ArrayBuffer {
  if (size == 0) return new ArrayBuffer(0);
  if (proxy_get_buffer_bytes(<u32>type, 0, size, RETURN_PTR, RETURN_SIZE) != 0) return new ArrayBuffer(0);
  return takeReturnedBytes();
}

export function proxy_abi_version_0_2_1(): void {}

export function malloc(size: usize): usize {
  return allocate(size);
}

export function proxy_on_memory_allocate(size: usize): usize {
  return allocate(size);
}

export function proxy_on_context_create(contextId: u32, parentContextId: u32): void {
  if (parentContextId == 0) {
    roots.set(contextId, createRoot(contextId));
    return;
  }
  if (!roots.has(parentContextId)) return;
  streams.set(contextId, roots.get(parentContextId).newHttpContext(contextId));
}

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): u32 {
  if (!roots.has(rootContextId)) return 0;
  const config = readBuffer(BufferType.VmConfiguration, vmConfigurationSize);
  return roots.get(rootContextId).onVmStart(config) ? 1 : 0;
}

export function proxy_on_configure(rootContextId: u32, pluginConfigurationSize: u32): u32 {
  if (!roots.has(rootContextId)) return 0;
  const config = readBuffer(BufferType.PluginConfiguration, pluginConfigurationSize);
  return roots.get(rootContextId).onConfigure(config) ? 1 : 0;
}

export function proxy_on_tick(rootContextId: u32): void {
  if (roots.has(rootContextId)) roots.get(rootContextId).onTick();
}

export function proxy_on_queue_ready(rootContextId: u32, queueId: u32): void {
  if (roots.has(rootContextId)) roots.get(rootContextId).onQueueReady(queueId);
}

export function proxy_on_foreign_function(rootContextId: u32, functionId: u32, argumentsSize: u32): void {
  if (roots.has(rootContextId)) roots.get(rootContextId).onForeignFunction(functionId, argumentsSize);
}

/** Envoy delivers every callout response to the root context. Route it to the stream that issued
 *  the call, after making that stream the effective context; to the root when the root issued it;
 *  nowhere when the issuing stream was deleted in the meantime. */
export function proxy_on_http_call_response(
  rootContextId: u32,
  callId: u32,
  headerCount: u32,
  bodySize: u32,
  trailerCount: u32,
): void {
  const owner = takeCallOwner(callId);
  if (owner == ORPHANED_CALL) return;
  if (owner != 0 && owner != rootContextId && streams.has(owner)) {
    proxy_set_effective_context(owner);
    streams.get(owner).onHttpCallResponse(callId, headerCount, bodySize, trailerCount);
    return;
  }
  if (roots.has(rootContextId))
    roots.get(rootContextId).onHttpCallResponse(callId, headerCount, bodySize, trailerCount);
}

export function proxy_on_request_headers(contextId: u32, headerCount: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return <u32>streams.get(contextId).onRequestHeaders(headerCount, endOfStream != 0);
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return <u32>streams.get(contextId).onRequestBody(bodySize, endOfStream != 0);
}

export function proxy_on_request_trailers(contextId: u32, trailerCount: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return <u32>streams.get(contextId).onRequestTrailers(trailerCount);
}

export function proxy_on_response_headers(contextId: u32, headerCount: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return <u32>streams.get(contextId).onResponseHeaders(headerCount, endOfStream != 0);
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return <u32>streams.get(contextId).onResponseBody(bodySize, endOfStream != 0);
}

export function proxy_on_response_trailers(contextId: u32, trailerCount: u32): u32 {
  if (!streams.has(contextId)) return 0;
  return <u32>streams.get(contextId).onResponseTrailers(trailerCount);
}

export function proxy_on_log(contextId: u32): void {
  if (streams.has(contextId)) streams.get(contextId).onLog();
}

export function proxy_on_done(contextId: u32): u32 {
  if (streams.has(contextId)) {
    streams.get(contextId).onDone();
    return 1;
  }
  if (roots.has(contextId)) return roots.get(contextId).onDone() ? 1 : 0;
  return 1;
}

export function proxy_on_delete(contextId: u32): void {
  if (streams.has(contextId)) {
    streams.get(contextId).onDelete();
    streams.delete(contextId);
    orphanCallsOf(contextId);
    return;
  }
  if (roots.has(contextId)) {
    roots.get(contextId).onDelete();
    roots.delete(contextId);
  }
}
