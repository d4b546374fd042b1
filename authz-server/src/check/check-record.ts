// What one check leaves behind for its observers (decision log, metrics, the live page, the risk
// engine's outcome feed): they read this record and never the service that made it.
import type { ErrorCode } from "../errors.ts";
import type { PolicyInput } from "../translate/input.ts";

/** Everything a decision log or metric needs about one check. */
export interface CheckRecord {
  decisionId: string;
  /** What the client got. */
  allowed: boolean;
  /** What the policy (or the failure) decided; differs from `allowed` only in dry-run. */
  decidedAllow: boolean;
  dryRun: boolean;
  entrypoint: string;
  revision?: string;
  input?: PolicyInput;
  /** The policy's raw result. */
  result?: unknown;
  httpStatus?: number;
  errorCode?: ErrorCode;
  errorMessage?: string;
  durationMs: number;
  /** Time spent evaluating the Rego policy, ms (the rest is translation, enrichers, response). */
  evalMs?: number;
  /** `input.meshward` for readers that want only it: a live check builds its `input` object only
   *  when something reads `input` (check/check-service.ts), this field never builds it. */
  readonly meshward?: Record<string, unknown> | undefined;
}

/** `input.meshward` of a record, without building the input object of a live check (metrics and
 *  the live page read it on every check); a record made elsewhere (tests) answers from `input`. */
export function meshwardOf(record: CheckRecord): Record<string, unknown> | undefined {
  if ("meshward" in record) return record.meshward;
  return record.input?.meshward as Record<string, unknown> | undefined;
}

/** Called after every check; an observer that throws is ignored. */
export type CheckObserver = (record: CheckRecord) => void;
