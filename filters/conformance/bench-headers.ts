// Benchmark workload (bench/sdk-microbench.ts): per request 10 header reads (compared in place,
// no string decoding), 1 header write and 1 shared-data read + CAS write.
import {
  HeadersStatus,
  HttpContext,
  MapType,
  replaceHeader,
  RootContext,
  setRootContextFactory,
  sharedCounterAdd,
  headerEquals,
  Utf8,
} from "../sdk";

// Same headers-only callback set as bench-empty, so the difference is the work itself.
export * from "../sdk/exports-headers";

const NAMES: Array<Utf8> = [
  new Utf8(":method"),
  new Utf8(":path"),
  new Utf8(":authority"),
  new Utf8("user-agent"),
  new Utf8("accept"),
  new Utf8("x-request-id"),
  new Utf8("x-meshward-subject"),
  new Utf8("x-meshward-risk-score"),
  new Utf8("x-meshward-risk-level"),
  new Utf8("x-absent"),
];
const EXPECTED = new Utf8("low");
const OUT_NAME = new Utf8("x-gateway-destination-endpoint");
const OUT_VALUE = new Utf8("127.0.0.1:8080");

// biome-ignore lint/correctness/noUnusedVariables: the result sink that keeps each comparison part of the benchmark
let matches: u32 = 0;

class BenchStream extends HttpContext {
  onRequestHeaders(_headerCount: u32, _endOfStream: bool): HeadersStatus {
    for (let i = 0; i < NAMES.length; i++)
      if (headerEquals(MapType.RequestHeaders, unchecked(NAMES[i]), EXPECTED)) matches++;
    replaceHeader(MapType.RequestHeaders, OUT_NAME, OUT_VALUE);
    sharedCounterAdd("bench.requests", 1, 4);
    return HeadersStatus.Continue;
  }
}

class BenchRoot extends RootContext {
  newHttpContext(contextId: u32): HttpContext {
    return new BenchStream(contextId, this);
  }
}

setRootContextFactory((contextId: u32): RootContext => new BenchRoot(contextId));
