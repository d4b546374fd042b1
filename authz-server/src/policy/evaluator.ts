// Runs a bundle's policy.wasm with the OPA Wasm SDK. One instance per active bundle; evaluation is
// synchronous and the instance is not shared across threads (Node runs checks on one thread).
// Before loading, the module's required builtins are compared with what the SDK and Meshward
// provide; a bundle needing anything else is refused with the builtin's name.
// An evaluation that throws (an abort such as a rule conflict or input the module cannot parse) is
// not unwound inside the module: after 1023 of them every later evaluation of that instance failed
// with "memory access out of bounds" (found by the reliability fuzzer). So after any failed
// evaluation the instance is replaced by a fresh one of the already compiled module (~1 ms).

import type { LoadedPolicy } from "@open-policy-agent/opa-wasm";
import * as opaWasm from "@open-policy-agent/opa-wasm";
import { ErrorCodes, MeshwardError } from "../errors.ts";
import { meshwardBuiltins, SDK_BUILTINS } from "./builtins.ts";
import type { Bundle } from "./bundle.ts";
import { missingBuiltins, requiredBuiltins } from "./required-builtins.ts";

/** The SDK's ESM entry exports only loadPolicy by name (its types declare loadPolicySync too); the
 *  synchronous loader is on the default export. */
const loadPolicySync = (opaWasm as unknown as { default: { loadPolicySync: typeof opaWasm.loadPolicySync } }).default
  .loadPolicySync;

export interface PolicyEvaluator {
  readonly revision: string;
  readonly entrypoints: readonly string[];
  readonly builtins: readonly string[];
  hasEntrypoint(entrypoint: string): boolean;
  /** Evaluates `entrypoint`; returns undefined when the policy's result set is empty. */
  evaluate(input: unknown, entrypoint: string): unknown;
}

export interface EvaluatorOptions {
  /** Wall clock in ms since the epoch; `time.now_ns` reads it once per evaluation. */
  nowMs?: () => number;
}

export async function createEvaluator(bundle: Bundle, options: EvaluatorOptions = {}): Promise<PolicyEvaluator> {
  const nowMs = options.nowMs ?? Date.now;
  let evaluationNs = 0;
  const custom = meshwardBuiltins(() => evaluationNs);
  let needed: string[];
  try {
    needed = await requiredBuiltins(bundle.wasm);
  } catch (err) {
    throw new MeshwardError(
      ErrorCodes.bundleInvalid,
      `policy.wasm is not an OPA Wasm module: ${(err as Error).message}`,
    );
  }
  const missing = missingBuiltins(needed, [...SDK_BUILTINS, ...Object.keys(custom)]);
  if (missing.length > 0) {
    throw new MeshwardError(
      ErrorCodes.bundleBuiltin,
      `policy needs builtin${missing.length > 1 ? "s" : ""} Meshward does not provide: ${missing.join(", ")}`,
    );
  }
  let policy: LoadedPolicy;
  let instantiate: () => LoadedPolicy;
  try {
    const module = new WebAssembly.Module(bundle.wasm);
    instantiate = () => {
      const fresh = loadPolicySync(module, undefined, custom);
      fresh.setData(bundle.data);
      return fresh;
    };
    policy = instantiate();
  } catch (err) {
    throw new MeshwardError(ErrorCodes.bundleInvalid, `policy.wasm did not load: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // A Map, not the SDK's plain object: a route may name any entrypoint, and `__proto__` or
  // `constructor` must be unknown names, not Object.prototype's members.
  const entrypointIds = new Map(Object.entries(policy.entrypoints as Record<string, number>));
  return {
    revision: bundle.manifest.revision,
    entrypoints: [...entrypointIds.keys()],
    builtins: needed,
    hasEntrypoint: (entrypoint) => entrypointIds.has(entrypoint),
    evaluate(input: unknown, entrypoint: string): unknown {
      const id = entrypointIds.get(entrypoint);
      if (id === undefined) {
        throw new MeshwardError(ErrorCodes.policyEntrypoint, `entrypoint ${entrypoint} is not in the bundle`);
      }
      evaluationNs = nowMs() * 1e6;
      let resultSet: unknown;
      try {
        resultSet = policy.evaluate(input as object, id);
      } catch (err) {
        policy = instantiate(); // the failed instance may be corrupt (see the top of this file)
        const message = err instanceof Error ? err.message : ((err as { message?: string })?.message ?? String(err));
        throw new MeshwardError(ErrorCodes.policyEval, `policy evaluation failed: ${message}`, { cause: err });
      }
      if (!Array.isArray(resultSet) || resultSet.length === 0) return undefined;
      return (resultSet[0] as { result?: unknown }).result;
    },
  };
}
