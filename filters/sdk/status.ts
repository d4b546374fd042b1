// Errors as values: every SDK wrapper records the WasmResult of its last host call here, so callers
// that need the reason (NotFound vs BadArgument vs CasMismatch) can ask without the wrapper having to
// allocate a result object on the hot path. Read it right after the call it describes.
import { WasmResult } from "./enums";

let lastHostStatus: u32 = WasmResult.Ok;

/** WasmResult of the most recent SDK host call (enums.ts WasmResult). */
export function lastStatus(): u32 {
  return lastHostStatus;
}

/** Records `status` and hands it back, so wrappers can `return recordStatus(proxy_x(...))`. */
@inline
export function recordStatus(status: u32): u32 {
  lastHostStatus = status;
  return status;
}

/** Short stable name of a WasmResult, for logs and response headers. */
export function statusName(status: u32): string {
  switch (status) {
    case WasmResult.Ok: return "Ok";
    case WasmResult.NotFound: return "NotFound";
    case WasmResult.BadArgument: return "BadArgument";
    case WasmResult.SerializationFailure: return "SerializationFailure";
    case WasmResult.ParseFailure: return "ParseFailure";
    case WasmResult.BadExpression: return "BadExpression";
    case WasmResult.InvalidMemoryAccess: return "InvalidMemoryAccess";
    case WasmResult.Empty: return "Empty";
    case WasmResult.CasMismatch: return "CasMismatch";
    case WasmResult.ResultMismatch: return "ResultMismatch";
    case WasmResult.InternalFailure: return "InternalFailure";
    case WasmResult.BrokenConnection: return "BrokenConnection";
    case WasmResult.Unimplemented: return "Unimplemented";
    default: return "Unknown(" + status.toString() + ")";
  }
}
