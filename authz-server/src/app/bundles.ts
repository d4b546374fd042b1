// The active policy and the source that feeds it bundles: signature keys from policy/signing-keys.ts,
// limits from `bundle.limits`, every load reported to the metrics and the log.
import { readFileSync } from "node:fs";
import { ActivePolicy } from "../policy/active-policy.ts";
import { runtimeInfo } from "../policy/builtins/runtime.ts";
import { BundleSource, type LoadOutcome } from "../policy/bundle-source.ts";
import { signatureVerification } from "../policy/signing-keys.ts";
import type { Wiring } from "./wiring.ts";

/** The repository's version: what `opa.runtime().version` answers. */
const MESHWARD_VERSION = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

function reportLoad({ metrics, logger }: Wiring, policy: ActivePolicy, shown: () => string, outcome: LoadOutcome) {
  if (outcome.result === "error") {
    metrics.bundleStatus(policy.bundleStatus, "error", outcome.code);
    logger.error({ event: "bundle", source: shown(), reason: outcome.code, error: outcome.message }, "bundle refused");
    return;
  }
  metrics.bundleStatus(policy.bundleStatus, outcome.result);
  if (outcome.result !== "ok") return;
  const { warnings, ...status } = policy.bundleStatus;
  logger.info({ event: "bundle", ...status }, "bundle activated");
  for (const warning of warnings ?? []) logger.warn({ event: "bundle", ...status, warning }, "bundle warning");
}

/** Loads the first bundle (polling starts with `bundles.start()` once the listeners are up). */
export async function loadBundles(wiring: Wiring): Promise<{ policy: ActivePolicy; bundles: BundleSource }> {
  const { config, logger, nowMs, metrics } = wiring;
  const { limits, pollIntervalMs } = config.bundle;
  metrics.bundlePolling(pollIntervalMs);
  const signature = signatureVerification(config.bundle.signing);
  const policy = new ActivePolicy({
    nowMs,
    runtime: runtimeInfo(process.env, MESHWARD_VERSION),
    limits: { maxUnpackedBytes: limits.maxUnpackedBytes, maxEntries: limits.maxEntries },
    defaultEntrypoint: config.policy.defaultEntrypoint,
    ...(signature ? { signature } : {}),
  });
  const bundles: BundleSource = new BundleSource(policy, config.bundle.source, {
    pollIntervalMs,
    maxDownloadBytes: limits.maxDownloadBytes,
    onResult: (outcome) => reportLoad(wiring, policy, () => bundles.shown, outcome),
  });
  // Without a good bundle the server still starts: it answers every check with a coded deny
  // (MW_BUNDLE_*) and reports not ready until one is activated. Exiting instead would turn a bad
  // bundle into a crash loop, which Envoy's `failure_mode_allow: true` turns into allow-all.
  const first = await bundles.load();
  if (first.result === "error" && pollIntervalMs === 0)
    logger.error(
      { event: "bundle", source: bundles.shown, reason: first.code },
      "no bundle is active and bundle.pollIntervalMs is 0: every check is denied until a restart",
    );
  return { policy, bundles };
}
