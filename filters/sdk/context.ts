// The idiomatic layer filter authors extend: one RootContext per plugin (root_id), one HttpContext
// per HTTP stream. exports.ts routes every proxy_on_* callback to these objects. Configuration is
// handed over as bytes; each filter parses it itself.
// Envoy runs onVmStart/onConfigure in a throw-away canary copy and then once per worker VM, so
// module globals are per worker: cross-worker state belongs in shared data (shared-data.ts).
import { DataStatus, HeadersStatus, TrailersStatus } from "./enums";
import { dispatchHttpCall } from "./http-call";
import { HeaderPairs } from "./pairs";

export class RootContext {
  constructor(public readonly contextId: u32) {}

  /** VM_CONFIGURATION bytes. Return false to fail the VM start. */
  onVmStart(_vmConfiguration: ArrayBuffer): bool {
    return true;
  }

  /** PLUGIN_CONFIGURATION bytes (only readable during this call). Return false to reject the
   *  config: Envoy refuses to start, or NACKs the xDS update. */
  onConfigure(_pluginConfiguration: ArrayBuffer): bool {
    return true;
  }

  /** Timer set with setTickPeriod (time.ts), per worker VM. */
  onTick(): void {}

  /** A shared queue this root registered has items (dequeue them with dequeueSharedQueue). */
  onQueueReady(_queueId: u32): void {}

  /** The host called a foreign function on this plugin; arguments via
   *  getBuffer(BufferType.ForeignFunctionArguments, 0, argumentsSize). */
  onForeignFunction(_functionId: u32, _argumentsSize: u32): void {}

  /** Response to an http_call this ROOT issued (streams get theirs on HttpContext). headerCount 0
   *  means the call failed (see lastCalloutStatus). */
  onHttpCallResponse(_callId: u32, _headerCount: u32, _bodySize: u32, _trailerCount: u32): void {}

  newHttpContext(contextId: u32): HttpContext {
    return new HttpContext(contextId, this);
  }

  /** Issues an http_call owned by this root. Returns the call id or 0 (lastStatus() says why). */
  httpCall(cluster: string, headers: HeaderPairs, body: ArrayBuffer | null, timeoutMs: u32): u32 {
    return dispatchHttpCall(this.contextId, cluster, headers, body, null, timeoutMs);
  }

  /** Return false to make Envoy wait for done() (time.ts). */
  onDone(): bool {
    return true;
  }

  onDelete(): void {}
}

export class HttpContext {
  constructor(
    public readonly contextId: u32,
    public readonly root: RootContext,
  ) {}

  onRequestHeaders(_headerCount: u32, _endOfStream: bool): HeadersStatus {
    return HeadersStatus.Continue;
  }

  onRequestBody(_bodySize: u32, _endOfStream: bool): DataStatus {
    return DataStatus.Continue;
  }

  onRequestTrailers(_trailerCount: u32): TrailersStatus {
    return TrailersStatus.Continue;
  }

  onResponseHeaders(_headerCount: u32, _endOfStream: bool): HeadersStatus {
    return HeadersStatus.Continue;
  }

  onResponseBody(_bodySize: u32, _endOfStream: bool): DataStatus {
    return DataStatus.Continue;
  }

  onResponseTrailers(_trailerCount: u32): TrailersStatus {
    return TrailersStatus.Continue;
  }

  /** Response to an http_call this stream issued. The SDK has already made this stream the
   *  effective context, so continueRequest()/sendLocalResponse() act on it. headerCount 0 means
   *  the call failed. */
  onHttpCallResponse(_callId: u32, _headerCount: u32, _bodySize: u32, _trailerCount: u32): void {}

  /** Issues an http_call whose response comes back to this stream. Pause the stream
   *  (StopAllIterationAndWatermark) until then. Returns the call id or 0 (lastStatus()). */
  httpCall(cluster: string, headers: HeaderPairs, body: ArrayBuffer | null, timeoutMs: u32): u32 {
    return dispatchHttpCall(this.contextId, cluster, headers, body, null, timeoutMs);
  }

  /** Envoy calls on_log BEFORE on_done and on_delete for HTTP streams; header maps are readable. */
  onLog(): void {}

  onDone(): void {}

  /** Last call for this stream: free per-request state here. */
  onDelete(): void {}
}

/** Creates the plugin's root context; each filter registers one at module top level. */
export type RootFactory = (contextId: u32) => RootContext;

let rootFactory: RootFactory = (contextId: u32): RootContext => new RootContext(contextId);

export function setRootContextFactory(factory: RootFactory): void {
  rootFactory = factory;
}

export function createRoot(contextId: u32): RootContext {
  return rootFactory(contextId);
}
