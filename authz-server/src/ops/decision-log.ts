// Decision logs: one JSON line (pino) per logged check, with the decision id, the redacted input,
// the policy's result and the error message (both redacted too: a policy may echo its input, a
// parse error quotes the request), the outcome and the timing. Sampling keeps volume bounded; failed checks and
// dry-run would-be denies are always logged because they are what operators look for.
// A sampled-out decision costs one random draw: nothing is redacted or built.
// Nesting is bounded by redaction (redact.ts replaces subtrees deeper than 64 levels), so a hostile
// body or claim set cannot make the line deep. Should building or writing the line throw anyway, a
// minimal line (decision id, outcome, reason) is written instead: the record is never lost.
import type { Logger } from "pino";
import type { CheckRecord } from "../check/check-record.ts";
import { redactMessage, redactValue } from "./redact.ts";

export interface DecisionLogOptions {
  /** 0..1: fraction of ordinary decisions logged. */
  sampleRate: number;
  redact: (input: unknown) => unknown;
  /** Uniform [0, 1); injected so tests can pin the sampling. */
  random?: () => number;
}

/** Milliseconds rounded to whole microseconds (3 decimals), as logged. */
const toMicrosecondMs = (ms: number): number => Math.round(ms * 1000) / 1000;

export function decisionLogger(logger: Logger, options: DecisionLogOptions): (record: CheckRecord) => void {
  const random = options.random ?? Math.random;
  return (record) => {
    const always = record.errorCode !== undefined || record.allowed !== record.decidedAllow;
    if (!always && (options.sampleRate <= 0 || random() >= options.sampleRate)) return;
    try {
      writeLine(logger, record, options);
    } catch (err) {
      logger.error(
        {
          event: "decision",
          decision_id: record.decisionId,
          allowed: record.allowed,
          decided_allow: record.decidedAllow,
          reason: record.errorCode,
          log_error: redactMessage(err instanceof Error ? err.message : String(err)),
        },
        "decision (details not logged)",
      );
    }
  };
}

function writeLine(logger: Logger, record: CheckRecord, options: DecisionLogOptions): void {
  logger.info(
    {
      event: "decision",
      decision_id: record.decisionId,
      allowed: record.allowed,
      decided_allow: record.decidedAllow,
      dry_run: record.dryRun,
      entrypoint: record.entrypoint,
      revision: record.revision,
      http_status: record.httpStatus,
      reason: record.errorCode,
      error: record.errorMessage === undefined ? undefined : redactMessage(record.errorMessage),
      result: redactValue(record.result),
      input: options.redact(record.input),
      timings:
        record.evalMs === undefined
          ? { total_ms: toMicrosecondMs(record.durationMs) }
          : { total_ms: toMicrosecondMs(record.durationMs), eval_ms: toMicrosecondMs(record.evalMs) },
    },
    "decision",
  );
}
