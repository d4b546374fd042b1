// Runs a bundle's policy.wasm with the OPA Wasm SDK. One instance per active bundle; evaluation is
// synchronous and the instance is not shared across threads (Node runs checks on one thread).
import { type LoadedPolicy, loadPolicy } from "@open-policy-agent/opa-wasm";
import { ErrorCodes, MeshwardError } from "../errors.ts";
import type { Bundle } from "./bundle.ts";

export interface PolicyEvaluator {
  readonly revision: string;
  readonly entrypoints: readonly string[];
  /** Evaluates `entrypoint`; returns undefined when the policy's result set is empty. */
  evaluate(input: unknown, entrypoint: string): unknown;
}

export async function createEvaluator(bundle: Bundle): Promise<PolicyEvaluator> {
  let policy: LoadedPolicy;
  try {
    policy = await loadPolicy(bundle.wasm);
    policy.setData(bundle.data);
  } catch (err) {
    throw new MeshwardError(ErrorCodes.bundleInvalid, `policy.wasm did not load: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const entrypointIds = policy.entrypoints as Record<string, number>;
  return {
    revision: bundle.manifest.revision,
    entrypoints: Object.keys(entrypointIds),
    evaluate(input: unknown, entrypoint: string): unknown {
      const id = entrypointIds[entrypoint];
      if (id === undefined)
        throw new MeshwardError(ErrorCodes.policyEval, `entrypoint ${entrypoint} is not in the bundle`);
      let resultSet: unknown;
      try {
        resultSet = policy.evaluate(input as object, id);
      } catch (err) {
        throw new MeshwardError(ErrorCodes.policyEval, `policy evaluation failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (!Array.isArray(resultSet) || resultSet.length === 0) return undefined;
      return (resultSet[0] as { result?: unknown }).result;
    },
  };
}
