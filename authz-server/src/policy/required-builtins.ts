// Reads the builtins a policy.wasm needs from the host. OPA's Wasm ABI exports `builtins()`, which
// returns (as an opa value address) the object name → id of every builtin the module does not
// implement natively; `opa_json_dump` turns it into JSON text. We instantiate the module with inert
// imports only to ask, so a bundle needing something we lack is refused before it can serve.

// The WebAssembly JS API, typed to the few members used here (tsconfig has no DOM lib).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function stubImports(memory: WasmMemory): Record<string, Record<string, unknown>> {
  const refuse = () => {
    throw new Error("builtin called while reading the builtin list");
  };
  return {
    env: {
      memory,
      opa_abort: refuse,
      opa_println: () => {},
      opa_builtin0: refuse,
      opa_builtin1: refuse,
      opa_builtin2: refuse,
      opa_builtin3: refuse,
      opa_builtin4: refuse,
    },
  };
}

function readCString(memory: WasmMemory, address: number): string {
  const bytes = new Uint8Array(memory.buffer);
  let end = address;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(address, end));
}

/** Names of the builtins `wasm` imports from the host, sorted. */
export async function requiredBuiltins(wasm: Uint8Array): Promise<string[]> {
  const memory = new wasmApi.Memory({ initial: 5 });
  const { instance } = await wasmApi.instantiate(wasm, stubImports(memory));
  const exports = instance.exports as Record<string, (...args: number[]) => number>;
  if (typeof exports.builtins !== "function" || typeof exports.opa_json_dump !== "function") {
    throw new Error("policy.wasm does not export the OPA Wasm ABI (builtins, opa_json_dump)");
  }
  const names = JSON.parse(readCString(memory, exports.opa_json_dump(exports.builtins()))) as Record<string, number>;
  return Object.keys(names).sort();
}

/** The required builtins neither the SDK nor Meshward provides. */
export function missingBuiltins(required: readonly string[], provided: Iterable<string>): string[] {
  const have = new Set(provided);
  return required.filter((name) => !have.has(name));
}
