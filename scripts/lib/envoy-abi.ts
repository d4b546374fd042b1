// What Envoy (proxy-wasm-cpp-host, embedded in Envoy 1.39/1.40) accepts from a proxy-wasm ABI 0.2.1
// module: the host functions it registers, with their wasm types, and the callback signatures it
// type-checks. A module that imports anything else, or exports a callback with another type, fails
// to load in Envoy ("missing import", "import type mismatch", "Bad function signature"). Node links
// any JS function to any signature, so the build and the Node host both check against this table.
// Sources: cpp-host include/proxy-wasm/exports.h, src/wasm.cc (registerCallbacks, getFunctions),
// src/v8/v8.cc (link), and the proxy-wasm ABI 0.2.1 specification (callbacks and host functions).
import { type FunctionType, formatType, readModuleInterface, type ValueType } from "./wasm-binary.ts";

const i32 = (n: number): ValueType[] => Array.from({ length: n }, () => "i32" as const);
const word = (params: ValueType[]): FunctionType => ({ params, results: ["i32"] });
const voidFn = (params: ValueType[]): FunctionType => ({ params, results: [] });

export const ABI_MARKER = "proxy_abi_version_0_2_1";

/** Host functions in module "env" for ABI 0.2.1 (0.1.0-only ones such as proxy_get_configuration
 *  and proxy_clear_route_cache are deliberately absent: Envoy does not register them for 0.2.1). */
export const ENV_IMPORTS: Record<string, FunctionType> = {
  proxy_log: word(i32(3)),
  proxy_get_log_level: word(i32(1)),
  proxy_get_current_time_nanoseconds: word(i32(1)),
  proxy_set_tick_period_milliseconds: word(i32(1)),
  proxy_get_buffer_bytes: word(i32(5)),
  proxy_get_buffer_status: word(i32(3)),
  proxy_set_buffer_bytes: word(i32(5)),
  proxy_get_header_map_pairs: word(i32(3)),
  proxy_set_header_map_pairs: word(i32(3)),
  proxy_get_header_map_size: word(i32(2)),
  proxy_get_header_map_value: word(i32(5)),
  proxy_add_header_map_value: word(i32(5)),
  proxy_replace_header_map_value: word(i32(5)),
  proxy_remove_header_map_value: word(i32(3)),
  proxy_get_property: word(i32(4)),
  proxy_set_property: word(i32(4)),
  proxy_send_local_response: word(i32(8)),
  proxy_continue_stream: word(i32(1)),
  proxy_close_stream: word(i32(1)),
  proxy_http_call: word(i32(10)),
  proxy_grpc_call: word(i32(12)),
  proxy_grpc_stream: word(i32(9)),
  proxy_grpc_send: word(i32(4)),
  proxy_grpc_cancel: word(i32(1)),
  proxy_grpc_close: word(i32(1)),
  proxy_get_status: word(i32(3)),
  proxy_set_shared_data: word(i32(5)),
  proxy_get_shared_data: word(i32(5)),
  proxy_register_shared_queue: word(i32(3)),
  proxy_resolve_shared_queue: word(i32(5)),
  proxy_enqueue_shared_queue: word(i32(3)),
  proxy_dequeue_shared_queue: word(i32(3)),
  proxy_define_metric: word(i32(4)),
  proxy_increment_metric: word(["i32", "i64"]),
  proxy_record_metric: word(["i32", "i64"]),
  proxy_get_metric: word(i32(2)),
  proxy_set_effective_context: word(i32(1)),
  proxy_done: word([]),
  proxy_call_foreign_function: word(i32(6)),
  envoy_resolve_dns: word(i32(3)),
  emscripten_notify_memory_growth: voidFn(i32(1)),
  pthread_equal: word(i32(2)),
};

/** WASI functions Envoy provides under both wasi_snapshot_preview1 and wasi_unstable. */
export const WASI_IMPORTS: Record<string, FunctionType> = {
  fd_write: word(i32(4)),
  fd_read: word(i32(4)),
  fd_seek: word(["i32", "i64", "i32", "i32"]),
  fd_close: word(i32(1)),
  fd_fdstat_get: word(i32(2)),
  fd_fdstat_set_flags: word(i32(2)),
  fd_prestat_get: word(i32(2)),
  fd_prestat_dir_name: word(i32(3)),
  environ_get: word(i32(2)),
  environ_sizes_get: word(i32(2)),
  args_get: word(i32(2)),
  args_sizes_get: word(i32(2)),
  clock_time_get: word(["i32", "i64", "i32"]),
  clock_res_get: word(i32(2)),
  random_get: word(i32(2)),
  sched_yield: word([]),
  poll_oneoff: word(i32(4)),
  proc_exit: voidFn(i32(1)),
};

export const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"];

/** Callbacks Envoy looks up and type-checks when present. */
export const CALLBACK_EXPORTS: Record<string, FunctionType> = {
  [ABI_MARKER]: voidFn([]),
  _initialize: voidFn([]),
  _start: voidFn([]),
  main: word(i32(2)),
  malloc: word(i32(1)),
  proxy_on_memory_allocate: word(i32(1)),
  proxy_on_context_create: voidFn(i32(2)),
  proxy_on_vm_start: word(i32(2)),
  proxy_on_configure: word(i32(2)),
  proxy_validate_configuration: word(i32(2)),
  proxy_on_tick: voidFn(i32(1)),
  proxy_on_request_headers: word(i32(3)),
  proxy_on_request_body: word(i32(3)),
  proxy_on_request_trailers: word(i32(2)),
  proxy_on_request_metadata: word(i32(2)),
  proxy_on_response_headers: word(i32(3)),
  proxy_on_response_body: word(i32(3)),
  proxy_on_response_trailers: word(i32(2)),
  proxy_on_response_metadata: word(i32(2)),
  proxy_on_log: voidFn(i32(1)),
  proxy_on_done: word(i32(1)),
  proxy_on_delete: voidFn(i32(1)),
  proxy_on_http_call_response: voidFn(i32(5)),
  proxy_on_queue_ready: voidFn(i32(2)),
  proxy_on_foreign_function: voidFn(i32(3)),
  proxy_on_grpc_receive_initial_metadata: voidFn(i32(3)),
  proxy_on_grpc_receive_trailing_metadata: voidFn(i32(3)),
  proxy_on_grpc_receive: voidFn(i32(3)),
  proxy_on_grpc_close: voidFn(i32(3)),
  proxy_on_new_connection: word(i32(1)),
  proxy_on_downstream_data: word(i32(3)),
  proxy_on_upstream_data: word(i32(3)),
  proxy_on_downstream_connection_close: voidFn(i32(2)),
  proxy_on_upstream_connection_close: voidFn(i32(2)),
};

const sameType = (a: FunctionType | undefined, b: FunctionType): boolean =>
  !!a && a.params.join() === b.params.join() && a.results.join() === b.results.join();

/** Looks up the type Envoy gives an import, or undefined when Envoy does not provide it. */
export function envoyImportType(module: string, name: string): FunctionType | undefined {
  if (module === "env") return ENV_IMPORTS[name];
  if (WASI_MODULES.includes(module)) return WASI_IMPORTS[name];
  return undefined;
}

/** Every reason Envoy would refuse this module; empty when it would load. */
export function checkModuleImports(bytes: Uint8Array): string[] {
  const { imports, exports } = readModuleInterface(bytes);
  const problems: string[] = [];
  for (const imp of imports) {
    const where = `${imp.module}.${imp.name}`;
    if (imp.kind !== "function") {
      problems.push(`imports ${imp.kind} ${where}: Envoy supports function imports only`);
      continue;
    }
    const expected = envoyImportType(imp.module, imp.name);
    if (!expected) problems.push(`missing import ${where}: Envoy does not provide it`);
    else if (!sameType(imp.type, expected))
      problems.push(
        `import type mismatch ${where}: module wants ${formatType(imp.type)}, Envoy has ${formatType(expected)}`,
      );
  }
  const marker = exports.find((e) => e.name === ABI_MARKER);
  if (marker?.kind !== "function")
    problems.push(`missing or unknown Proxy-Wasm ABI version: no function export ${ABI_MARKER}`);
  if (!exports.some((e) => e.kind === "memory")) problems.push("no exported memory");
  for (const exp of exports) {
    const expected = CALLBACK_EXPORTS[exp.name];
    if (expected && exp.kind === "function" && !sameType(exp.type, expected))
      problems.push(
        `bad function signature for ${exp.name}: ${formatType(exp.type)}, Envoy expects ${formatType(expected)}`,
      );
  }
  return problems;
}
