// Entry of the adaptive-lb filter. For now it announces itself (VM start log line and an
// x-meshward response header); endpoint picking arrives with its own issue.
import {
  addHeader,
  BUILD_GIT_SHA,
  HeadersStatus,
  HttpContext,
  logInfo,
  MapType,
  MESHWARD_VERSION,
  RootContext,
  setRootContextFactory,
  Utf8,
} from "../sdk";

export * from "../sdk/exports";

const FILTER_NAME = "adaptive-lb";
const STAMP_NAME = new Utf8("x-meshward");
const STAMP_VALUE = new Utf8(FILTER_NAME + "/" + MESHWARD_VERSION);

class AdaptiveLbRoot extends RootContext {
  onVmStart(_vmConfiguration: ArrayBuffer): bool {
    logInfo("meshward " + FILTER_NAME + " " + MESHWARD_VERSION + " " + BUILD_GIT_SHA);
    return true;
  }

  newHttpContext(contextId: u32): HttpContext {
    return new AdaptiveLbStream(contextId, this);
  }
}

class AdaptiveLbStream extends HttpContext {
  onResponseHeaders(_headerCount: u32, _endOfStream: bool): HeadersStatus {
    addHeader(MapType.ResponseHeaders, STAMP_NAME, STAMP_VALUE);
    return HeadersStatus.Continue;
  }
}

setRootContextFactory((contextId: u32): RootContext => new AdaptiveLbRoot(contextId));
