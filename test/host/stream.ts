// Drives one HTTP stream through a VM the way Envoy's Wasm HTTP filter does (Envoy
// source/extensions/common/wasm/context.cc decodeHeaders/decodeData/encodeHeaders/encodeData/log/
// onDestroy), including:
//  - header/body maps available only in their phase: the request header map is dropped when the
//    filter Continues (or calls continue_stream), the response map likewise;
//  - StopIteration (1) from on_*_headers becomes StopAllIterationAndWatermark (4) unless
//    allow_on_headers_stop_iteration; values above 4 (headers) / 3 (data) are clamped;
//  - a local reply sent during a callback forces that callback's result to "stop";
//  - StopIterationAndBuffer accumulates body chunks into the buffer the next call sees;
//  - teardown on_log (access-log copies readable) → on_done → on_delete (Envoy HTTP order);
//  - a failed (trapped) VM: FAIL_CLOSED answers 503 `wasm_fail_stream` once, FAIL_OPEN continues.
import type { Pair } from "./pairs.ts";
import type { StreamInfo, StreamState, WasmVm } from "./vm.ts";

export const HeadersAction = {
  Continue: 0,
  StopIteration: 1,
  StopAllIterationAndBuffer: 3,
  StopAllIterationAndWatermark: 4,
};
export const DataAction = {
  Continue: 0,
  StopIterationAndBuffer: 1,
  StopIterationAndWatermark: 2,
  StopIterationNoBuffer: 3,
};

export class HttpStream {
  readonly state: StreamState;
  private bufferingRequest = false;
  private bufferingResponse = false;
  private failureReplySent = false;
  private destroyed = false;

  constructor(
    readonly vm: WasmVm,
    info: StreamInfo,
  ) {
    const id = vm.newContextId();
    this.state = {
      id,
      info,
      requestHeaders: null,
      requestTrailers: null,
      responseHeaders: null,
      responseTrailers: null,
      requestBody: null,
      responseBody: null,
      requestSnapshot: [],
      responseSnapshot: [],
      accessLogPhase: false,
      filterState: new Map(),
      localReply: undefined,
      continued: { request: false, response: false },
      closed: false,
    };
    vm.streams.set(id, this.state);
    vm.call("proxy_on_context_create", id, vm.rootContextId);
  }

  get id(): number {
    return this.state.id;
  }

  /** Applies the failure policy when the VM has trapped; returns the action to report. */
  private failed(stop: number): number | undefined {
    if (!this.vm.failed) return undefined;
    if (this.vm.spec.failurePolicy === "FAIL_OPEN") return 0;
    if (!this.failureReplySent) {
      this.failureReplySent = true;
      this.state.localReply = {
        status: 503,
        details: "wasm_fail_stream",
        body: new Uint8Array(0),
        headers: [],
        grpcStatus: 14,
      };
    }
    return stop;
  }

  private headersResult(raw: number | undefined, hadReply: boolean): number {
    let result = raw ?? 0;
    if (result === 1 && !this.vm.spec.allowOnHeadersStopIteration) result = 4;
    if (result === 2) result = 0;
    if (result > 4) result = 4;
    if (!hadReply && this.state.localReply) result = 4;
    return result;
  }

  private dataResult(raw: number | undefined, hadReply: boolean): number {
    let result = Math.min(raw ?? 0, 3);
    if (!hadReply && this.state.localReply) result = 3;
    return result;
  }

  requestHeaders(headers: Pair[], endOfStream: boolean): number {
    return this.headers("request", headers, endOfStream);
  }

  requestBody(chunk: Uint8Array, endOfStream: boolean): number {
    return this.body("request", chunk, endOfStream);
  }

  requestTrailers(trailers: Pair[]): number {
    return this.trailers("request", trailers);
  }

  responseHeaders(headers: Pair[], endOfStream: boolean): number {
    return this.headers("response", headers, endOfStream);
  }

  responseBody(chunk: Uint8Array, endOfStream: boolean): number {
    return this.body("response", chunk, endOfStream);
  }

  responseTrailers(trailers: Pair[]): number {
    return this.trailers("response", trailers);
  }

  /** The request body as forwarded upstream (after any set_buffer_bytes edits). */
  forwardedRequestBody(original: Uint8Array): Uint8Array {
    return this.state.requestBody ?? original;
  }

  /** The response body as sent downstream (after edits). */
  forwardedResponseBody(original: Uint8Array): Uint8Array {
    return this.state.responseBody ?? original;
  }

  /** decodeHeaders/encodeHeaders: the map is available during the call and stays available only
   *  while the filter holds the stream. After a failure reply the filter is skipped. */
  private headers(direction: "request" | "response", headers: Pair[], endOfStream: boolean): number {
    const s = this.state;
    if (direction === "request") {
      s.requestHeaders = headers;
      s.requestSnapshot = headers;
    } else {
      s.responseHeaders = headers;
      s.responseSnapshot = headers;
      if (this.failureReplySent) return 0;
    }
    const fail = this.failed(4);
    if (fail !== undefined) return fail;
    const hadReply = s.localReply !== undefined;
    const raw = this.vm.call(`proxy_on_${direction}_headers`, s.id, headers.length, endOfStream ? 1 : 0);
    const result = this.failed(4) ?? this.headersResult(raw, hadReply);
    if (result === 0) {
      if (direction === "request") s.requestHeaders = null;
      else s.responseHeaders = null;
    }
    return result;
  }

  /** decodeData/encodeData: after StopIterationAndBuffer the next call sees all chunks so far. */
  private body(direction: "request" | "response", chunk: Uint8Array, endOfStream: boolean): number {
    if (direction === "response" && this.failureReplySent) return 0;
    const fail = this.failed(3);
    if (fail !== undefined) return fail;
    const s = this.state;
    const buffering = direction === "request" ? this.bufferingRequest : this.bufferingResponse;
    const previous = direction === "request" ? s.requestBody : s.responseBody;
    const body = buffering && previous ? Buffer.concat([previous, chunk]) : chunk;
    if (direction === "request") s.requestBody = body;
    else s.responseBody = body;
    const hadReply = s.localReply !== undefined;
    const raw = this.vm.call(`proxy_on_${direction}_body`, s.id, body.length, endOfStream ? 1 : 0);
    const result = this.failed(3) ?? this.dataResult(raw, hadReply);
    if (direction === "request") this.bufferingRequest = result === 1;
    else this.bufferingResponse = result === 1;
    return result;
  }

  private trailers(direction: "request" | "response", trailers: Pair[]): number {
    const s = this.state;
    if (direction === "request") s.requestTrailers = trailers;
    else s.responseTrailers = trailers;
    const result = Math.min(this.vm.call(`proxy_on_${direction}_trailers`, s.id, trailers.length) ?? 0, 1);
    if (result === 0) {
      if (direction === "request") s.requestTrailers = null;
      else s.responseTrailers = null;
    }
    return result;
  }

  /** Access log + destroy: on_log → on_done → on_delete (or the spec's done → log → delete). */
  complete(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const s = this.state;
    const log = () => {
      s.accessLogPhase = true;
      this.vm.call("proxy_on_log", s.id);
      s.accessLogPhase = false;
    };
    if (this.vm.spec.teardownOrder === "envoy") log();
    this.vm.call("proxy_on_done", s.id);
    if (this.vm.spec.teardownOrder === "spec") log();
    this.vm.call("proxy_on_delete", s.id);
    this.vm.streams.delete(s.id);
  }
}
