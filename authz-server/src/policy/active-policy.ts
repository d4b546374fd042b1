// Holds the active policy. Activation is one reference swap after the new bundle was parsed,
// signature-checked and loaded: a check in flight keeps the evaluator it started with, and a bundle
// that fails never replaces the last good one. The status says which bundle serves and, after a
// failure, why the newer one was refused.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { errorCodeOf } from "../errors.ts";
import { parseBundle } from "./bundle.ts";
import { createEvaluator, type EvaluatorOptions, type PolicyEvaluator } from "./evaluator.ts";
import { type SignatureVerification, verifyBundleSignature } from "./signature.ts";

export interface BundleStatus {
  active: boolean;
  revision?: string;
  source?: string;
  /** SHA-256 of the active archive. */
  digest?: string;
  activatedAt?: string;
  /** What is wrong with the active bundle although it loaded (e.g. the default entrypoint is not
   *  in it, so checks of routes that name none are all denied). */
  warnings?: string[];
  /** The last failed attempt (cleared by the next success). */
  lastError?: string;
  lastErrorCode?: string;
  lastErrorAt?: string;
}

export interface ActivePolicyOptions extends EvaluatorOptions {
  /** Signature requirements; without them a signed bundle is refused, as in OPA. */
  signature?: SignatureVerification;
  /** The entrypoint of routes that name none: a bundle without it loads, with a warning. */
  defaultEntrypoint?: string;
}

export type ActivationResult = "ok" | "unchanged";

export class ActivePolicy {
  private current: PolicyEvaluator | undefined;
  private status: BundleStatus = { active: false };

  constructor(private readonly options: ActivePolicyOptions = {}) {}

  get evaluator(): PolicyEvaluator | undefined {
    return this.current;
  }

  get bundleStatus(): BundleStatus {
    return { ...this.status };
  }

  /** Loads, verifies and activates a bundle; on failure keeps the previous one and rethrows. */
  async activateFromBytes(archive: Uint8Array, source: string, now: Date = new Date()): Promise<PolicyEvaluator> {
    await this.activate(archive, source, now);
    return this.current as PolicyEvaluator;
  }

  /** Like activateFromBytes, but an archive identical to the active one is not reloaded. */
  async activate(archive: Uint8Array, source: string, now: Date = new Date()): Promise<ActivationResult> {
    const digest = createHash("sha256").update(archive).digest("hex");
    if (this.current && digest === this.status.digest) return "unchanged";
    try {
      const bundle = parseBundle(archive);
      await verifyBundleSignature(bundle.files, this.options.signature);
      const evaluator = await createEvaluator(bundle, this.options);
      this.current = evaluator;
      this.status = { active: true, revision: evaluator.revision, source, digest, activatedAt: now.toISOString() };
      const warnings = this.warningsFor(evaluator);
      if (warnings.length > 0) this.status.warnings = warnings;
      return "ok";
    } catch (err) {
      this.recordFailure(err, now);
      throw err;
    }
  }

  private warningsFor(evaluator: PolicyEvaluator): string[] {
    const entrypoint = this.options.defaultEntrypoint;
    if (entrypoint === undefined || evaluator.hasEntrypoint(entrypoint)) return [];
    return [
      `default entrypoint ${entrypoint} is not in the bundle (it has: ${evaluator.entrypoints.join(", ") || "none"}): ` +
        "every check of a route that names no entrypoint is denied with MW_POLICY_ENTRYPOINT",
    ];
  }

  /** Notes a failure that happened before activation (e.g. a fetch) in the status. */
  recordFailure(err: unknown, now: Date = new Date()): void {
    this.status = {
      ...this.status,
      lastError: (err as Error)?.message ?? String(err),
      lastErrorCode: errorCodeOf(err),
      lastErrorAt: now.toISOString(),
    };
  }

  async activateFromFile(path: string): Promise<PolicyEvaluator> {
    return this.activateFromBytes(new Uint8Array(await readFile(path)), path);
  }
}
