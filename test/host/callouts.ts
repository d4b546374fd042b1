// Delivery of scripted http_call replies, as Envoy's onHttpCallSuccess/onHttpCallFailure do it:
// on the ROOT context, with the response readable only during the callback; a failure arrives with
// 0 headers and get_status = BrokenConnection / "reset".
import { Status } from "./shared-data.ts";
import type { CalloutRequest } from "./types.ts";
import type { WasmVm } from "./vm.ts";

export /** Runs a scripted http_call reply on the root context, as Envoy's onHttpCallSuccess/Failure do. */
function deliverCallout(vm: WasmVm, id: number, request: CalloutRequest): void {
  if (!vm.pendingCallouts.delete(id) || vm.failed) return;
  const reply = vm.services.callout(request);
  if ("failure" in reply) {
    vm.calloutStatus = { code: Status.BrokenConnection, message: "reset" };
    vm.call("proxy_on_http_call_response", vm.rootContextId, id, 0, 0, 0);
    vm.calloutStatus = { code: 0, message: "" };
    return;
  }
  const body = typeof reply.body === "string" ? Buffer.from(reply.body) : (reply.body ?? new Uint8Array(0));
  const response = { headers: reply.headers, body, trailers: reply.trailers ?? [] };
  vm.calloutResponse = response;
  vm.call(
    "proxy_on_http_call_response",
    vm.rootContextId,
    id,
    response.headers.length,
    body.length,
    response.trailers.length,
  );
  vm.calloutResponse = undefined;
}
