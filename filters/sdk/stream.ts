// Stream control. In Envoy these take effect AFTER the current callback returns (deferred), and
// only when the effective context is a stream: on a root context they silently do nothing and
// still return Ok. Inside an http_call response the SDK has already switched the effective context
// to the stream that issued the call (exports.ts), so filter code can call these directly.
// send_local_response makes the current callback's result "stop" (Envoy forces it).
import { StreamType, WasmResult } from "./enums";
import {
  proxy_close_stream,
  proxy_continue_stream,
  proxy_send_local_response,
  proxy_set_effective_context,
} from "./imports";
import { bufferPtr, bufferSize, encodeA, scratchSizeA } from "./memory";
import { HeaderPairs } from "./pairs";
import { recordStatus } from "./status";

/** grpc_status outside 0..16 means "no grpc-status header". */
export const NO_GRPC_STATUS: i32 = -1;

/** Replies to the client with `statusCode` instead of forwarding. `details` becomes the response
 *  code details (Envoy replaces spaces); `headers` null = none. SerializationFailure (without a host
 *  call) when the headers exceed Envoy's pairs limits. */
export function sendLocalResponse(
  statusCode: u32,
  details: string,
  body: ArrayBuffer | null,
  headers: HeaderPairs | null,
  grpcStatus: i32,
): u32 {
  let headerBytes: ArrayBuffer | null = null;
  if (headers !== null) {
    headerBytes = headers.serialize();
    if (headerBytes === null) return recordStatus(WasmResult.SerializationFailure);
  }
  const detailsPtr = encodeA(details);
  return recordStatus(
    proxy_send_local_response(
      statusCode,
      detailsPtr,
      scratchSizeA(),
      bufferPtr(body),
      bufferSize(body),
      bufferPtr(headerBytes),
      bufferSize(headerBytes),
      grpcStatus,
    ),
  );
}

/** Resumes a stream paused by a Stop* return (after an http_call, typically). */
export function continueStream(type: StreamType): u32 {
  return recordStatus(proxy_continue_stream(<u32>type));
}

export function continueRequest(): u32 {
  return continueStream(StreamType.Request);
}

export function continueResponse(): u32 {
  return continueStream(StreamType.Response);
}

/** Resets the stream (response code details `wasm_close_stream`). */
export function closeStream(type: StreamType): u32 {
  return recordStatus(proxy_close_stream(<u32>type));
}

/** Makes `contextId` the target of stream calls until the current callback returns. The SDK does
 *  this for http_call responses; filters rarely need it. BadArgument for an unknown id. */
export function setEffectiveContext(contextId: u32): u32 {
  return recordStatus(proxy_set_effective_context(contextId));
}
