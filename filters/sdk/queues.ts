// Shared queues (proxy-wasm shared queues). register(name) keys the queue by (vm_id, name) and binds it to
// the calling root context: registering an existing name RE-BINDS it (items kept), so with one VM
// per worker only the last registrant gets proxy_on_queue_ready. Register in one place and let
// others resolve(vm_id, name) + enqueue. dequeue gives Empty when there is nothing.
import { WasmResult } from "./enums";
import {
  proxy_dequeue_shared_queue,
  proxy_enqueue_shared_queue,
  proxy_register_shared_queue,
  proxy_resolve_shared_queue,
} from "./imports";
import {
  encodeA,
  encodeB,
  RETURN_PTR,
  RETURN_SIZE,
  RETURN_U32,
  scratchSizeA,
  scratchSizeB,
  takeReturnedBytes,
} from "./memory";
import { recordStatus } from "./status";

/** Queue id (never 0 in Envoy), or 0 with lastStatus() set. */
export function registerSharedQueue(name: string): u32 {
  const namePtr = encodeA(name);
  const status = recordStatus(proxy_register_shared_queue(namePtr, scratchSizeA(), RETURN_U32));
  return status == WasmResult.Ok ? load<u32>(RETURN_U32) : 0;
}

/** Queue id registered by the VM `vmId`, or 0 (lastStatus() NotFound when nobody registered it). */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  const vmPtr = encodeA(vmId);
  const namePtr = encodeB(name);
  const status = recordStatus(proxy_resolve_shared_queue(vmPtr, scratchSizeA(), namePtr, scratchSizeB(), RETURN_U32));
  return status == WasmResult.Ok ? load<u32>(RETURN_U32) : 0;
}

export function enqueueSharedQueue(queueId: u32, value: ArrayBuffer): u32 {
  return recordStatus(proxy_enqueue_shared_queue(queueId, changetype<usize>(value), <usize>value.byteLength));
}

/** Next item, or null (lastStatus() Empty when drained, NotFound for an unknown queue). */
export function dequeueSharedQueue(queueId: u32): ArrayBuffer | null {
  const status = recordStatus(proxy_dequeue_shared_queue(queueId, RETURN_PTR, RETURN_SIZE));
  return status == WasmResult.Ok ? takeReturnedBytes() : null;
}
