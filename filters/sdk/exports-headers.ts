// The callbacks of an HTTP filter that works on request and response headers only, plus the root
// context's tick. Re-export from a filter's entry file instead of `./exports` when that is all it
// needs:
//   export * from "../sdk/exports-headers";
// Envoy (proxy-wasm-cpp-host) skips a callback the module does not export and uses its default:
// Continue for body and trailer callbacks, "done" for on_done. Every exported one costs a call
// into the VM per event — on_response_body once per response data frame, on_done once per
// stream — so leaving them out saves two calls per stream on a typical request. Teardown then
// runs through on_log, with on_delete (which also frees the stream's context) as the backstop.
export {
  malloc,
  proxy_abi_version_0_2_1,
  proxy_on_configure,
  proxy_on_context_create,
  proxy_on_delete,
  proxy_on_log,
  proxy_on_memory_allocate,
  proxy_on_request_headers,
  proxy_on_response_headers,
  proxy_on_tick,
  proxy_on_vm_start,
} from "./exports";
