// Foreign functions: host extensions called by name. Envoy registers clear_route_cache,
// set_envoy_filter_state, declare_property, compress, uncompress, sign, verify_signature (and expr_*
// when built with CEL); any other name is NotFound. Arguments/results are raw bytes whose format
// each function defines.
import { WasmResult } from "./enums";
import { proxy_call_foreign_function } from "./imports";
import { bufferPtr, bufferSize, encodeA, RETURN_PTR, RETURN_SIZE, scratchSizeA, takeReturnedBytes } from "./memory";
import { lastStatus, recordStatus } from "./status";

/** Result bytes (possibly empty), or null with lastStatus() set. */
export function callForeignFunction(name: string, args: ArrayBuffer | null): ArrayBuffer | null {
  const namePtr = encodeA(name);
  const status = recordStatus(
    proxy_call_foreign_function(namePtr, scratchSizeA(), bufferPtr(args), bufferSize(args), RETURN_PTR, RETURN_SIZE),
  );
  return status == WasmResult.Ok ? takeReturnedBytes() : null;
}

/** Since Envoy ≈1.33 header edits from Wasm no longer re-run route matching; call this after
 *  changing a header the route match depends on. Returns the WasmResult. */
export function clearRouteCache(): u32 {
  callForeignFunction("clear_route_cache", null);
  return lastStatus();
}
