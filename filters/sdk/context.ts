// The idiomatic layer filter authors extend: one RootContext per plugin (root_id), one HttpContext
// per HTTP stream. exports.ts routes every proxy_on_* callback to these objects.
import { DataStatus, HeadersStatus, TrailersStatus } from "./enums";

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

  onTick(): void {}

  newHttpContext(contextId: u32): HttpContext {
    return new HttpContext(contextId, this);
  }

  /** Return false to make Envoy wait for proxy_done(). */
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

  /** Envoy calls on_log before on_done and on_delete for HTTP streams. */
  onLog(): void {}

  onDone(): void {}

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
