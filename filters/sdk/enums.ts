// Numeric values of the proxy-wasm ABI 0.2.1 enumerations, as Envoy (proxy-wasm-cpp-host) uses them.
// Notes on where Envoy differs from the spec: ../../docs/host-quirks.md.

export namespace WasmResult {
  export const Ok: u32 = 0;
  export const NotFound: u32 = 1;
  export const BadArgument: u32 = 2;
  export const SerializationFailure: u32 = 3;
  export const ParseFailure: u32 = 4;
  export const BadExpression: u32 = 5;
  export const InvalidMemoryAccess: u32 = 6;
  export const Empty: u32 = 7;
  export const CasMismatch: u32 = 8;
  export const ResultMismatch: u32 = 9;
  export const InternalFailure: u32 = 10;
  export const BrokenConnection: u32 = 11;
  export const Unimplemented: u32 = 12;
}

export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

export enum MapType {
  RequestHeaders = 0,
  RequestTrailers = 1,
  ResponseHeaders = 2,
  ResponseTrailers = 3,
  GrpcInitialMetadata = 4,
  GrpcTrailingMetadata = 5,
  HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
}

export enum BufferType {
  RequestBody = 0,
  ResponseBody = 1,
  DownstreamData = 2,
  UpstreamData = 3,
  HttpCallResponseBody = 4,
  GrpcCallMessage = 5,
  VmConfiguration = 6,
  PluginConfiguration = 7,
  ForeignFunctionArguments = 8,
}

/** Return value of on_*_headers. Envoy turns StopIteration into StopAllIterationAndWatermark
 *  unless the plugin sets allow_on_headers_stop_iteration. */
export enum HeadersStatus {
  Continue = 0,
  StopIteration = 1,
  ContinueAndEndStream = 2,
  StopAllIterationAndBuffer = 3,
  StopAllIterationAndWatermark = 4,
}

export enum DataStatus {
  Continue = 0,
  StopIterationAndBuffer = 1,
  StopIterationAndWatermark = 2,
  StopIterationNoBuffer = 3,
}

export enum TrailersStatus {
  Continue = 0,
  StopIteration = 1,
}

export enum StreamType {
  Request = 0,
  Response = 1,
  Downstream = 2,
  Upstream = 3,
}

export enum MetricType {
  Counter = 0,
  Gauge = 1,
  Histogram = 2,
}
