// The Check use case's settings and the admission control, as the config implies them (the
// settings are also used by the benchmarks and tests that build a CheckService without the server).
import type { CheckServiceOptions } from "../check/check-service.ts";
import type { AuthzConfig } from "../config/schema.ts";
import { Admission } from "../transport/admission.ts";
import type { Wiring } from "./wiring.ts";

export function checkServiceOptions(config: AuthzConfig): CheckServiceOptions {
  return {
    defaultEntrypoint: config.policy.defaultEntrypoint,
    entrypointContextKey: config.policy.entrypointContextKey,
    errorStatus: config.check.errorStatus,
    requestParseErrorStatus: config.check.requestParseErrorStatus,
    dryRun: config.policy.dryRun,
    checkTimeoutMs: config.check.timeoutMs,
    translate: {
      skipBodyParse: config.policy.skipBodyParse,
      maxBodyParseBytes: config.policy.maxBodyParseBytes,
      maxBodyDepth: config.policy.maxBodyDepth,
      inputProjection: config.policy.inputProjection,
    },
  };
}

/** One admission control for both listeners (the caps bound the whole process), its in-flight
 *  counts reported as metrics. */
export function admissionControl({ config, metrics }: Wiring): Admission {
  const admission = new Admission({
    maxChecks: config.check.maxInFlight,
    maxBytes: config.check.maxBytesInFlight,
    largeCheckBytes: config.check.largeCheckBytes,
    largeConcurrency: config.check.largeConcurrency,
  });
  metrics.inFlight(() => ({ checks: admission.checksInFlight, bytes: admission.bytesInFlight }));
  return admission;
}
