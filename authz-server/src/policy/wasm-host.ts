// Instantiates a policy.wasm with Meshward's host imports and hands it to the OPA Wasm SDK's
// LoadedPolicy (data, entrypoints and heap layout stay the SDK's; evaluation calls the ABI 1.2 fast
// path directly, linear-memory-eval.ts).
// The host side of builtin calls is ours, so that a builtin sees OPA's values, not their JSON:
// each argument comes through `opa_value_dump` (Rego text: sets stay sets, integers keep their
// digits) and the result goes back through `opa_value_parse`. As in OPA (non-strict), a builtin
// that fails makes its expression undefined (the host answers 0); a BuiltinHalt ends the
// evaluation (OPA's Halt: a limit was hit). The builtins the OPA Wasm SDK ships itself (sprintf,
// yaml.*, json.is_valid, regex.split) are taken from the SDK unchanged, with JSON arguments.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as opaWasm from "@open-policy-agent/opa-wasm";
import { parseRegoValue, type RegoValue, regoText } from "./rego-value.ts";

/** The evaluation a builtin call belongs to: OPA keeps these constant within one decision. */
export interface EvaluationContext {
  /** time.now_ns(), read once per evaluation. */
  nowNs: bigint;
  /** Per-evaluation memo of non-deterministic builtins (rand.intn, uuid.rfc4122), as OPA's. */
  memo: Map<string, RegoValue>;
}

export type Builtin = (args: RegoValue[], context: EvaluationContext) => RegoValue | undefined;

export interface BuiltinSpec {
  impl: Builtin;
  /** Parse integer arguments as bigints (nanosecond timestamps). */
  bigIntegers?: boolean;
  /** Numbers as RawRego literals, their text as the policy holds it (OPA's json.Number). */
  numberLiterals?: boolean;
}

/** A builtin hit a limit: the evaluation stops (as OPA's Halt), the check is denied. */
export class BuiltinHalt extends Error {}

interface PolicyExports {
  builtins(): number;
  opa_value_dump(address: number): number;
  opa_value_parse(address: number, length: number): number;
  opa_json_dump(address: number): number;
  opa_malloc(length: number): number;
}

// The WebAssembly JS API, typed to the members used here (tsconfig has no DOM lib).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Instance: new (
    module: unknown,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type LoadedPolicyClass = new (instance: unknown, memory: WasmMemory, minorVersion: unknown) => opaWasm.LoadedPolicy;
const { LoadedPolicy } = (opaWasm as unknown as { default: { LoadedPolicy: LoadedPolicyClass } }).default;

/** The SDK's own builtin implementations (its src/builtins/index.js), which its index does not
 *  export by name: found next to the SDK's entry file. */
const sdkBuiltins = (() => {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("@open-policy-agent/opa-wasm");
  return require(join(dirname(entry), "builtins/index.js")) as Record<string, (...args: unknown[]) => unknown>;
})();

/** Names of the builtins the OPA Wasm SDK implements itself. */
export const SDK_BUILTIN_NAMES: readonly string[] = Object.keys(sdkBuiltins).sort();

function readCString(memory: WasmMemory, address: number): string {
  const bytes = new Uint8Array(memory.buffer);
  const end = bytes.indexOf(0, address);
  return new TextDecoder().decode(bytes.subarray(address, end === -1 ? bytes.length : end));
}

export interface WasmPolicy {
  policy: opaWasm.LoadedPolicy;
  /** Runs `evaluate` with `context` as the builtins' evaluation. */
  within<T>(context: EvaluationContext, evaluate: () => T): T;
}

export function instantiatePolicy(module: unknown, builtins: Readonly<Record<string, BuiltinSpec>>): WasmPolicy {
  const memory = new wasmApi.Memory({ initial: 5 });
  let exports: PolicyExports | undefined;
  let names: Record<number, string> = {};
  let context: EvaluationContext = { nowNs: 0n, memo: new Map() };

  const call = (id: number, addresses: number[]): number => {
    const ex = exports as PolicyExports;
    const name = names[id] as string;
    const sdk = sdkBuiltins[name];
    let result: RegoValue | undefined;
    if (sdk) {
      const args = addresses.map((a) => JSON.parse(readCString(memory, ex.opa_json_dump(a))));
      try {
        result = sdk(...args) as RegoValue | undefined;
      } catch {
        return 0;
      }
    } else {
      const spec = builtins[name];
      if (!spec) throw new Error(`not implemented: built-in function ${name}`);
      const options = { bigIntegers: spec.bigIntegers === true, numberLiterals: spec.numberLiterals === true };
      try {
        const args = addresses.map((a) => parseRegoValue(readCString(memory, ex.opa_value_dump(a)), options));
        result = spec.impl(args, context);
      } catch (err) {
        if (err instanceof BuiltinHalt) throw err;
        return 0; // a builtin error: the expression is undefined (OPA without strict-builtin-errors)
      }
    }
    if (result === undefined) return 0;
    const bytes = new TextEncoder().encode(regoText(result));
    const address = ex.opa_malloc(bytes.length);
    new Uint8Array(memory.buffer).set(bytes, address);
    const parsed = ex.opa_value_parse(address, bytes.length);
    if (parsed === 0) throw new Error(`builtin ${name} returned a value the policy cannot read`);
    return parsed;
  };

  const env = {
    memory,
    opa_abort: (address: number) => {
      throw new Error(readCString(memory, address));
    },
    opa_println: () => {},
    opa_builtin0: (id: number) => call(id, []),
    opa_builtin1: (id: number, _ctx: number, a: number) => call(id, [a]),
    opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, [a, b]),
    opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, [a, b, c]),
    opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) => call(id, [a, b, c, d]),
  };
  const instance = new wasmApi.Instance(module, { env });
  exports = instance.exports as unknown as PolicyExports;
  const ids = JSON.parse(readCString(memory, exports.opa_json_dump(exports.builtins()))) as Record<string, number>;
  names = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]));
  const minor = instance.exports.opa_wasm_abi_minor_version as { value: number } | undefined;
  const policy = new LoadedPolicy(instance, memory, minor?.value);
  return {
    policy,
    within(next, evaluate) {
      const previous = context;
      context = next;
      try {
        return evaluate();
      } finally {
        context = previous;
      }
    },
  };
}
