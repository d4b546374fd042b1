// One catalogue of coded errors. The code doubles as the deny reason sent to Envoy, the decision
// log's `reason` and the metrics label, so every failure is countable and greppable.

export const ErrorCodes = {
  /** The CheckRequest could not be turned into policy input. */
  requestParse: "MW_REQUEST_PARSE",
  /** The policy evaluation threw (trap, bad builtin call, out of memory). */
  policyEval: "MW_POLICY_EVAL",
  /** The policy returned something that is neither a boolean nor a decision object. */
  policyResult: "MW_POLICY_RESULT",
  /** The policy's decision was undefined (no rule matched and no default). */
  policyUndefined: "MW_POLICY_UNDEFINED",
  /** No bundle is active and none was refused yet (checks are denied with the refusal's
   *  `MW_BUNDLE_*` code once there is one). */
  noBundle: "MW_BUNDLE_NONE",
  /** A bundle could not be read, verified or activated. */
  bundleInvalid: "MW_BUNDLE_INVALID",
  /** A bundle exceeded a configured limit (download size, unpacked size, entry count). */
  bundleLimit: "MW_BUNDLE_LIMIT",
  /** A bundle's policy needs a builtin that neither the OPA Wasm SDK nor Meshward provides. */
  bundleBuiltin: "MW_BUNDLE_BUILTIN",
  /** A bundle's signature is missing, invalid, or does not cover its files. */
  bundleSignature: "MW_BUNDLE_SIGNATURE",
  /** Fetching a bundle failed (network, HTTP status). */
  bundleFetch: "MW_BUNDLE_FETCH",
  /** The entrypoint a route names (context extension) is not in the active bundle. */
  policyEntrypoint: "MW_POLICY_ENTRYPOINT",
  /** The check's deadline passed before a decision was made. */
  deadline: "MW_DEADLINE",
  /** An input enricher (identity, risk) failed unexpectedly. */
  enrich: "MW_ENRICH",
  /** The server is at its cap of checks (or check bytes) in flight; the check was not evaluated. */
  overloaded: "MW_OVERLOADED",
  /** Configuration rejected at start-up. */
  config: "MW_CONFIG",
  /** A ShouldRateLimit request that is malformed or beyond the configured bounds. */
  rateLimitBadRequest: "MW_RL_BAD_REQUEST",
  /** A ShouldRateLimit request for a domain the rate-limit rules do not define. */
  rateLimitUnknownDomain: "MW_RL_UNKNOWN_DOMAIN",
  /** A rate-limit rules file that could not be read or validated (the last good rules stay). */
  rateLimitRulesInvalid: "MW_RL_RULES_INVALID",
  /** Anything unexpected; the check is denied. */
  internal: "MW_INTERNAL",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class MeshwardError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MeshwardError";
  }
}

/** Configuration rejected at start-up (MW_CONFIG): the one error type for every config problem, from
 *  the file, the environment, the flags, the cross-field checks and the files the config names.
 *  `field` is the offending field's path when there is one; the message leads with it (prefixed by
 *  `scope` for a section validated on its own, such as the risk engine's `risk config …`). */
export class ConfigError extends MeshwardError {
  constructor(
    readonly field: string | undefined,
    problem: string,
    scope = "",
  ) {
    super(ErrorCodes.config, field === undefined ? problem : `${scope}${field}: ${problem}`);
    this.name = "ConfigError";
  }
}

export function errorCodeOf(err: unknown): ErrorCode {
  return err instanceof MeshwardError ? err.code : ErrorCodes.internal;
}
