// proxy_http_call (HTTP callouts to an Envoy cluster). Envoy owns callouts on the ROOT context: the response arrives
// as proxy_on_http_call_response(root_id, call_id, ...). The SDK remembers call_id → issuing
// context, and exports.ts switches the effective context to that stream before calling its
// onHttpCallResponse, so continue/local-response act on the right stream. The upstream is an Envoy
// CLUSTER name (unknown cluster ⇒ BadArgument); headers must hold :method, :path and :authority
// (else BadArgument); timeout 0 = none. A failed call (reset, overflow) arrives with 0 headers and
// get_status = BrokenConnection; a timeout usually arrives as a normal response with :status 504.
import { BufferType, MapType, WasmResult } from "./enums";
import { proxy_get_status, proxy_http_call } from "./imports";
import {
  bufferPtr,
  bufferSize,
  encodeA,
  RETURN_PTR,
  RETURN_SIZE,
  RETURN_U32,
  scratchSizeA,
  takeReturnedString,
} from "./memory";
import { HeaderPairs } from "./pairs";
import { getBuffer } from "./buffers";
import { getHeaderPairs } from "./headers";
import { recordStatus } from "./status";

const owners = new Map<u32, u32>();

/** Owner id of a call whose stream was deleted before the response arrived. */
export const ORPHANED_CALL: u32 = u32.MAX_VALUE;

/** Dispatches a call on behalf of `ownerContextId` (a stream or root context id). Returns the call
 *  id, or 0 with lastStatus() set (SerializationFailure when headers/trailers exceed Envoy's
 *  limits, BadArgument for an unknown cluster or missing pseudo-headers). */
export function dispatchHttpCall(
  ownerContextId: u32,
  cluster: string,
  headers: HeaderPairs,
  body: ArrayBuffer | null,
  trailers: HeaderPairs | null,
  timeoutMs: u32,
): u32 {
  const headerBytes = headers.serialize();
  if (headerBytes === null) {
    recordStatus(WasmResult.SerializationFailure);
    return 0;
  }
  let trailerBytes: ArrayBuffer | null = null;
  if (trailers !== null) {
    trailerBytes = trailers.serialize();
    if (trailerBytes === null) {
      recordStatus(WasmResult.SerializationFailure);
      return 0;
    }
  }
  const clusterPtr = encodeA(cluster);
  const status = recordStatus(
    proxy_http_call(
      clusterPtr,
      scratchSizeA(),
      changetype<usize>(headerBytes),
      <usize>headerBytes.byteLength,
      bufferPtr(body),
      bufferSize(body),
      bufferPtr(trailerBytes),
      bufferSize(trailerBytes),
      timeoutMs,
      RETURN_U32,
    ),
  );
  if (status != WasmResult.Ok) return 0;
  const callId = load<u32>(RETURN_U32);
  owners.set(callId, ownerContextId);
  return callId;
}

/** The context that issued `callId` (0 if unknown, ORPHANED_CALL if its stream is gone),
 *  forgetting the mapping. Used by exports.ts. */
export function takeCallOwner(callId: u32): u32 {
  if (!owners.has(callId)) return 0;
  const owner = owners.get(callId);
  owners.delete(callId);
  return owner;
}

/** Marks the calls of a stream that is being deleted as orphaned: Envoy does not cancel them (they
 *  belong to the root context), and their late responses must reach neither the dead stream nor
 *  the root's own onHttpCallResponse. */
export function orphanCallsOf(contextId: u32): void {
  // Every stream's on_delete lands here; without calls in flight, no key array to allocate.
  if (owners.size == 0) return;
  const ids = owners.keys();
  for (let i = 0; i < ids.length; i++) if (owners.get(ids[i]) == contextId) owners.set(ids[i], ORPHANED_CALL);
}

/** Number of calls still in flight (all contexts of this VM). */
export function pendingHttpCalls(): i32 {
  return owners.size;
}

// Readers valid only during onHttpCallResponse.

export function httpCallResponseHeaders(): HeaderPairs | null {
  return getHeaderPairs(MapType.HttpCallResponseHeaders);
}

export function httpCallResponseTrailers(): HeaderPairs | null {
  return getHeaderPairs(MapType.HttpCallResponseTrailers);
}

export function httpCallResponseBody(bodySize: u32): ArrayBuffer | null {
  if (bodySize == 0) return new ArrayBuffer(0);
  return getBuffer(BufferType.HttpCallResponseBody, 0, bodySize);
}

let lastCalloutMessage: string = "";

/** Status code of the last callout on this root (BrokenConnection = 11 after a failed http_call,
 *  the gRPC status after a gRPC close); the message via lastCalloutStatusMessage(). */
export function lastCalloutStatus(): u32 {
  const status = recordStatus(proxy_get_status(RETURN_U32, RETURN_PTR, RETURN_SIZE));
  if (status != WasmResult.Ok) {
    lastCalloutMessage = "";
    return u32.MAX_VALUE;
  }
  const code = load<u32>(RETURN_U32);
  lastCalloutMessage = takeReturnedString();
  return code;
}

export function lastCalloutStatusMessage(): string {
  return lastCalloutMessage;
}
