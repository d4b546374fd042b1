// Holds the active policy. Activation is one reference swap after the new bundle was unpacked within
// limits, signature-checked (before anything in it is parsed), parsed and loaded: a check in flight
// keeps the evaluator it started with, and a bundle that fails never replaces the last good one.
// A refused archive is remembered by digest and not unpacked again when it comes back unchanged
// (the next poll of the same file or URL). The status says which bundle serves and, after a
// failure, why the newer one was refused.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type ErrorCode, ErrorCodes, errorCodeOf, MeshwardError } from "../errors.ts";
import { parseBundle } from "./bundle.ts";
import { createEvaluator, type EvaluatorOptions, type PolicyEvaluator } from "./evaluator.ts";
import { type SignatureVerification, verifyBundleSignature } from "./signature.ts";
import { ArchiveError } from "./tar.ts";
import { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS, unpackBundleArchive } from "./unpack.ts";

export interface BundleStatus {
  active: boolean;
  revision?: string;
  /** Where the active bundle came from, as reported (a URL without credentials or query). */
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
  limits?: ArchiveLimits;
  /** The entrypoint of routes that name none: a bundle without it loads, with a warning. */
  defaultEntrypoint?: string;
}

export type ActivationResult = "ok" | "unchanged";

async function unpack(archive: Uint8Array, limits: ArchiveLimits): Promise<Map<string, Uint8Array>> {
  try {
    return await unpackBundleArchive(archive, limits);
  } catch (err) {
    const limit = err instanceof ArchiveError && err.limit;
    throw new MeshwardError(
      limit ? ErrorCodes.bundleLimit : ErrorCodes.bundleInvalid,
      `not a readable .tar.gz bundle: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export class ActivePolicy {
  private current: PolicyEvaluator | undefined;
  private status: BundleStatus = { active: false };
  /** Digest of the last archive refused, so an unchanged one is not unpacked again. */
  private refusedDigest: string | undefined;

  constructor(private readonly options: ActivePolicyOptions = {}) {}

  get evaluator(): PolicyEvaluator | undefined {
    return this.current;
  }

  get bundleStatus(): BundleStatus {
    return { ...this.status };
  }

  /** The code a check is denied with while no bundle is active: the last refusal's `MW_BUNDLE_*`
   *  code, else MW_BUNDLE_NONE. */
  get inactiveCode(): ErrorCode {
    const code = this.status.lastErrorCode;
    return code?.startsWith("MW_BUNDLE_") ? (code as ErrorCode) : ErrorCodes.noBundle;
  }

  /** Loads, verifies and activates a bundle; on failure keeps the previous one and rethrows. */
  async activateFromBytes(archive: Uint8Array, source: string, now: Date = new Date()): Promise<PolicyEvaluator> {
    await this.load(archive, source, now, false);
    return this.current as PolicyEvaluator;
  }

  /** Like activateFromBytes, but an archive identical to the active one, or to the last refused
   *  one, is not processed again ("unchanged"). */
  activate(archive: Uint8Array, source: string, now: Date = new Date()): Promise<ActivationResult> {
    return this.load(archive, source, now, true);
  }

  private async load(archive: Uint8Array, source: string, now: Date, skipRefused: boolean): Promise<ActivationResult> {
    const digest = createHash("sha256").update(archive).digest("hex");
    if (this.current && digest === this.status.digest) return "unchanged";
    if (skipRefused && digest === this.refusedDigest) return "unchanged";
    try {
      const files = await unpack(archive, this.options.limits ?? DEFAULT_ARCHIVE_LIMITS);
      await verifyBundleSignature(files, this.options.signature);
      const evaluator = await createEvaluator(parseBundle(files), this.options);
      this.current = evaluator;
      this.refusedDigest = undefined;
      this.status = { active: true, revision: evaluator.revision, source, digest, activatedAt: now.toISOString() };
      const warnings = this.warningsFor(evaluator);
      if (warnings.length > 0) this.status.warnings = warnings;
      return "ok";
    } catch (err) {
      this.refusedDigest = digest;
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
