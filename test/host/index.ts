// Public surface of the Node proxy-wasm host used by filter tests and microbenchmarks.
export { HostBuilder, proxyWasmHost } from "./builder.ts";
export { ManualClock } from "./clock.ts";
export { MetricStore } from "./metrics.ts";
export { decodePairs, encodePairs, type Pair } from "./pairs.ts";
export {
  ConfigRejected,
  type ExchangeResult,
  ModuleRejected,
  ProxyWasmHost,
  type UpstreamRequest,
  type UpstreamResponse,
} from "./plugin-host.ts";
export { Status } from "./shared-data.ts";
export { HttpStream } from "./stream.ts";
export type { CalloutReply, CalloutRequest, LogRecord } from "./types.ts";
