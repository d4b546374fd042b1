// Runs a bundle's policy.wasm with the OPA Wasm SDK and Meshward's builtins (wasm-host.ts). One
// instance per active bundle; evaluation is synchronous and the instance is not shared across
// threads (Node runs checks on one thread). Before loading, the module's required builtins are
// compared with what the SDK and Meshward provide; a bundle needing anything else is refused with
// the builtin's name (and, for http.send and the like, why). The input reaches the module as JSON
// written straight into its memory (linear-memory-eval.ts): a check writes it from the request
// (`evaluateWritten`), any other caller's value is written as JSON.stringify would write it.
// An evaluation that throws (an abort such as a rule conflict or input the module cannot parse) is
// not unwound inside the module: after 1023 of them every later evaluation of that instance failed
// with "memory access out of bounds" (found by the reliability fuzzer). So after any failed
// evaluation the instance is replaced by a fresh one of the already compiled module (~1 ms).

import { ErrorCodes, MeshwardError } from "../errors.ts";
import type { InputProjection } from "../translate/input-projection.ts";
import { type JsonWriter, rawTextsOf } from "../translate/json-writer.ts";
import { rawJsonSlots } from "../translate/raw-json.ts";
import { meshwardBuiltins, REFUSED } from "./builtins/index.ts";
import type { Bundle } from "./bundle.ts";
import { inputPathsMetadataOf, inputProjectionOf } from "./input-paths.ts";
import { type InputWrite, LinearMemoryEval } from "./linear-memory-eval.ts";
import type { RegoValue } from "./rego-value.ts";
import { missingBuiltins, requiredBuiltins } from "./required-builtins.ts";
import { instantiatePolicy, SDK_BUILTIN_NAMES, type WasmPolicy } from "./wasm-host.ts";

export interface PolicyEvaluator {
  readonly revision: string;
  readonly entrypoints: readonly string[];
  readonly builtins: readonly string[];
  /** The parts of the input the bundle's Rego reads (input-paths.ts); undefined: all of it. */
  readonly inputProjection: InputProjection | undefined;
  hasEntrypoint(entrypoint: string): boolean;
  /** Evaluates `entrypoint`; returns undefined when the policy's result set is empty. */
  evaluate(input: unknown, entrypoint: string): unknown;
  /** The same, with the input's JSON written by `write` straight into the policy's memory. */
  evaluateWritten(write: (w: JsonWriter) => void, entrypoint: string): unknown;
}

export interface EvaluatorOptions {
  /** Wall clock in ms since the epoch; `time.now_ns` reads it once per evaluation. */
  nowMs?: () => number;
  /** What `opa.runtime()` answers (builtins/runtime.ts); {} without it, as OPA without runtime info. */
  runtime?: RegoValue;
}

/** What the SDK did with an input value: JSON.stringify it (raw slots spliced in), or no input at
 *  all when the value is falsy. */
function writeValue(input: unknown): InputWrite {
  if (!input) return undefined;
  const raws = typeof input === "object" ? rawTextsOf(rawJsonSlots(input as object)) : undefined;
  return (w) => {
    w.value(input, raws);
  };
}

function missingMessage(missing: string[]): string {
  // Builtins refused for one reason (the graphql.* family) share one sentence.
  const byReason = new Map<string, string[]>();
  for (const name of missing) {
    const reason = REFUSED[name];
    if (reason !== undefined) byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  }
  const reasons = [...byReason].map(([reason, names]) => `${names.join(", ")}: ${reason}`);
  return (
    `policy needs builtin${missing.length > 1 ? "s" : ""} Meshward does not provide: ${missing.join(", ")}` +
    (reasons.length > 0 ? ` (${reasons.join("; ")})` : "")
  );
}

export async function createEvaluator(bundle: Bundle, options: EvaluatorOptions = {}): Promise<PolicyEvaluator> {
  const nowMs = options.nowMs ?? Date.now;
  const builtins = meshwardBuiltins(options.runtime === undefined ? {} : { runtime: options.runtime });
  let needed: string[];
  try {
    needed = await requiredBuiltins(bundle.wasm);
  } catch (err) {
    throw new MeshwardError(
      ErrorCodes.bundleInvalid,
      `policy.wasm is not an OPA Wasm module: ${(err as Error).message}`,
    );
  }
  const missing = missingBuiltins(needed, [...SDK_BUILTIN_NAMES, ...Object.keys(builtins)]);
  if (missing.length > 0) throw new MeshwardError(ErrorCodes.bundleBuiltin, missingMessage(missing));
  let policy!: WasmPolicy;
  let linear!: LinearMemoryEval;
  let instantiate: () => void;
  try {
    const module = new WebAssembly.Module(bundle.wasm);
    instantiate = () => {
      const fresh = instantiatePolicy(module, builtins);
      fresh.policy.setData(bundle.data);
      policy = fresh;
      linear = new LinearMemoryEval(fresh.policy);
    };
    instantiate();
  } catch (err) {
    throw new MeshwardError(ErrorCodes.bundleInvalid, `policy.wasm did not load: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // A Map, not the SDK's plain object: a route may name any entrypoint, and `__proto__` or
  // `constructor` must be unknown names, not Object.prototype's members.
  const entrypointIds = new Map(Object.entries(policy.policy.entrypoints as Record<string, number>));
  const run = (write: InputWrite, entrypoint: string): unknown => {
    const id = entrypointIds.get(entrypoint);
    if (id === undefined) {
      throw new MeshwardError(ErrorCodes.policyEntrypoint, `entrypoint ${entrypoint} is not in the bundle`);
    }
    const context = { nowNs: BigInt(Math.round(nowMs() * 1000)) * 1000n, memo: new Map() };
    const current = policy;
    const evaluation = linear;
    let resultSet: unknown;
    try {
      resultSet = current.within(context, () => evaluation.run(write, id));
    } catch (err) {
      instantiate(); // the failed instance may be corrupt (see the top of this file)
      const message = err instanceof Error ? err.message : ((err as { message?: string })?.message ?? String(err));
      throw new MeshwardError(ErrorCodes.policyEval, `policy evaluation failed: ${message}`, { cause: err });
    }
    if (!Array.isArray(resultSet) || resultSet.length === 0) return undefined;
    return (resultSet[0] as { result?: unknown }).result;
  };
  return {
    revision: bundle.manifest.revision,
    entrypoints: [...entrypointIds.keys()],
    builtins: needed,
    inputProjection: inputProjectionOf(inputPathsMetadataOf(bundle.manifest.metadata)),
    hasEntrypoint: (entrypoint) => entrypointIds.has(entrypoint),
    evaluate: (input, entrypoint) => run(writeValue(input), entrypoint),
    evaluateWritten: (write, entrypoint) => run(write, entrypoint),
  };
}
