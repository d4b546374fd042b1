// The Check use case, independent of transport: CheckRequest → policy input → enrichers (identity,
// risk) → Rego → decision → CheckResponse. Every failure becomes a coded deny with the configured
// status; nothing here can allow by accident. Dry-run mode is the one configured exception: a policy
// deny lets the client through (keeping the policy's dynamic metadata), and the record says what
// would have happened; failures still deny, as in opa-envoy-plugin.
import { randomUUID } from "node:crypto";
import type { JsonObject } from "@bufbuild/protobuf";
import { isReservedHeader, RESERVED_HEADERS } from "../contract/headers.ts";
import { type ErrorCode, ErrorCodes, errorCodeOf, MeshwardError } from "../errors.ts";
import type { CheckRequest, CheckResponse } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import type { ActivePolicy } from "../policy/active-policy.ts";
import type { PolicyEvaluator } from "../policy/evaluator.ts";
import { type Decision, emptyDecision, type HeaderPair, toDecision } from "../translate/decision.ts";
import {
  type PolicyInput,
  type TranslatedRequest,
  type TranslateOptions,
  translateRequest,
} from "../translate/input.ts";
import { errorDecision, toCheckResponse } from "../translate/response.ts";
import type { CheckObserver, CheckRecord } from "./check-record.ts";
import { type CheckClock, systemClock } from "./clock.ts";
import type { InputEnricher } from "./enricher.ts";
import { EnricherRun } from "./enricher-run.ts";

export interface CheckServiceOptions {
  /** Rego rule evaluated when a route names none (opa-envoy's default `envoy/authz/allow`). */
  defaultEntrypoint: string;
  /** context_extensions key through which a route names its entrypoint (opa-envoy#653). */
  entrypointContextKey: string;
  /** HTTP status of the deny sent when the check itself fails. */
  errorStatus: number;
  /** HTTP status of the deny sent when the request cannot be turned into policy input
   *  (opa-envoy-plugin answers 400). */
  requestParseErrorStatus: number;
  /** Let policy denies through, but record the decision that would have been made. */
  dryRun: boolean;
  /** Upper bound on one check, also when the caller sent no deadline. */
  checkTimeoutMs: number;
  translate: TranslateOptions;
}

/** The record of a check being decided. `input` is a prototype getter over the translated
 *  request: the policy gets the input's JSON written directly, and the object is built only if an
 *  observer (decision log, risk outcome, live page) reads it. */
class LiveRecord implements CheckRecord {
  allowed = false;
  decidedAllow = false;
  revision?: string;
  result?: unknown;
  httpStatus?: number;
  errorCode?: ErrorCode;
  errorMessage?: string;
  durationMs = 0;
  evalMs?: number;
  translated: TranslatedRequest | undefined;
  /** The enrichers' `onFinish` callbacks, carried from the enrichment to the end of the check. */
  finishers: CheckObserver[] | undefined;

  constructor(
    readonly decisionId: string,
    readonly dryRun: boolean,
    readonly entrypoint: string,
  ) {}

  get input(): PolicyInput | undefined {
    return this.translated?.object;
  }

  /** `input.meshward` without building the input (check/check-record.ts `meshwardOf`). */
  get meshward(): Record<string, unknown> | undefined {
    return this.translated?.meshward;
  }
}

export interface CheckOutcome {
  /** The CheckResponse message, built on first read: the gRPC transport encodes `decision`
   *  straight to binary (translate/response-binary.ts) and never needs it. */
  readonly response: CheckResponse;
  decision: Decision;
  record: CheckRecord;
}

/** A prototype getter, not an accessor in an object literal (those are slow to create per check). */
class Outcome implements CheckOutcome {
  private built: CheckResponse | undefined;

  constructor(
    readonly decision: Decision,
    readonly record: CheckRecord,
  ) {}

  get response(): CheckResponse {
    this.built ??= toCheckResponse(this.decision, this.record.decisionId);
    return this.built;
  }
}

export interface CheckDependencies {
  policy: ActivePolicy;
  enrichers?: readonly InputEnricher[];
  /** Called after every check (decision log, metrics); an observer that throws is ignored. */
  observers?: readonly CheckObserver[];
  clock?: CheckClock;
  newDecisionId?: () => string;
  /** Called for every check refused by admission control (`overloaded`). */
  onOverload?: () => void;
}

/** HTTP status of a check refused because the server is at its in-flight caps: retry elsewhere. */
export const OVERLOADED_STATUS = 503;

const OVERLOADED = errorDecision(ErrorCodes.overloaded, OVERLOADED_STATUS);

export class CheckService {
  private readonly enrichers: readonly InputEnricher[];
  private readonly ownedHeaders: string[];
  private readonly observers: readonly CheckObserver[];
  private readonly clock: CheckClock;
  private readonly newDecisionId: () => string;

  constructor(
    private readonly options: CheckServiceOptions,
    private readonly deps: CheckDependencies,
  ) {
    this.enrichers = deps.enrichers ?? [];
    this.ownedHeaders = [...new Set([...RESERVED_HEADERS, ...this.enrichers.flatMap((e) => e.ownedHeaders)])];
    this.observers = deps.observers ?? [];
    this.clock = deps.clock ?? systemClock;
    this.newDecisionId = deps.newDecisionId ?? randomUUID;
  }

  /** `deadlineMs` is the caller's deadline on the monotonic clock (gRPC deadline), if any.
   *  Never rejects. Runs synchronously up to the first enricher that goes async (a JWKS fetch), so
   *  the common path costs no promise hops beyond the returned one. */
  check(request: CheckRequest, deadlineMs?: number): Promise<CheckOutcome> {
    const started = this.clock.monotonicMs();
    const deadline = Math.min(deadlineMs ?? Number.POSITIVE_INFINITY, started + this.options.checkTimeoutMs);
    const record = new LiveRecord(this.newDecisionId(), this.options.dryRun, this.entrypointFor(request));
    let pending: Decision | Promise<Decision>;
    try {
      pending = this.decide(request, record, deadline);
    } catch (err) {
      return Promise.resolve(this.finish(this.failed(err, record), record, started, request));
    }
    if (pending instanceof Promise) {
      return pending.then(
        (decision) => this.finish(decision, record, started, request),
        (err) => this.finish(this.failed(err, record), record, started, request),
      );
    }
    return Promise.resolve(this.finish(pending, record, started, request));
  }

  /** The answer to a check that admission control refused before decoding it
   *  (transport/admission.ts): a coded deny, MW_OVERLOADED with status 503 — a failure, so denied in
   *  dry-run too. Counted through `onOverload` but not given to the observers: under a flood,
   *  logging each refusal would spend what the cap saves. */
  overloaded(): CheckOutcome {
    this.deps.onOverload?.();
    return this.refusal(OVERLOADED, ErrorCodes.overloaded);
  }

  /** The answer to a check whose caller gave up (cancelled, deadline passed) before it was decoded:
   *  nobody reads it, so nothing is translated, evaluated, counted or logged. */
  abandoned(): CheckOutcome {
    return this.refusal(errorDecision(ErrorCodes.deadline, this.options.errorStatus), ErrorCodes.deadline);
  }

  private refusal(decision: Decision, code: ErrorCode): CheckOutcome {
    const record: CheckRecord = {
      decisionId: this.newDecisionId(),
      allowed: decision.allowed,
      decidedAllow: false,
      dryRun: this.options.dryRun,
      entrypoint: "",
      errorCode: code,
      durationMs: 0,
    };
    return new Outcome(decision, record);
  }

  private failed(err: unknown, record: CheckRecord): Decision {
    record.errorCode = errorCodeOf(err);
    record.errorMessage = (err as Error)?.message ?? String(err);
    record.httpStatus =
      record.errorCode === ErrorCodes.requestParse ? this.options.requestParseErrorStatus : this.options.errorStatus;
    return errorDecision(record.errorCode, record.httpStatus);
  }

  private finish(decided: Decision, record: LiveRecord, started: number, request: CheckRequest): CheckOutcome {
    let decision = decided;
    if (record.errorCode === undefined) {
      record.decidedAllow = decision.allowed;
      if (!decision.allowed) record.httpStatus = decision.httpStatus ?? 403;
    }
    if (this.options.dryRun && !decision.allowed && record.errorCode === undefined) {
      decision = {
        ...emptyDecision(true),
        ...(decision.dynamicMetadata ? { dynamicMetadata: decision.dynamicMetadata } : {}),
      };
    }
    if (decision.allowed) this.removeForgedHeaders(decision, request);
    record.allowed = decision.allowed;
    record.durationMs = this.clock.monotonicMs() - started;
    notify(this.observers, record);
    if (record.finishers) notify(record.finishers, record);
    return new Outcome(decision, record);
  }

  private entrypointFor(request: CheckRequest): string {
    const named = request.attributes?.contextExtensions[this.options.entrypointContextKey];
    return named && named !== "" ? named : this.options.defaultEntrypoint;
  }

  private decide(request: CheckRequest, record: LiveRecord, deadline: number): Decision | Promise<Decision> {
    // A check that waited past its deadline (a queue, a slow client) is not translated at all.
    if (this.clock.monotonicMs() > deadline) throw new MeshwardError(ErrorCodes.deadline, "check deadline passed");
    const evaluator = this.deps.policy.evaluator; // an in-flight check keeps the bundle it started with
    if (!evaluator) {
      const code = this.deps.policy.inactiveCode;
      throw new MeshwardError(code, `no policy bundle is active (${code})`);
    }
    record.revision = evaluator.revision;
    const input = translateRequest(request, this.options.translate);
    record.translated = input;
    if (this.enrichers.length === 0) return this.evaluate(evaluator, input, record, deadline, []);
    const meshward: Record<string, unknown> = {};
    input.meshward = meshward;
    const run = new EnricherRun(input, meshward, this.clock, deadline);
    const upstream = run.next(this.enrichers, 0);
    if (upstream instanceof Promise) {
      return upstream
        .then((headers) => {
          record.finishers = run.finishers;
          return this.evaluate(evaluator, input, record, deadline, headers, run.metadata);
        })
        .finally(() => run.dispose());
    }
    run.dispose();
    record.finishers = run.finishers;
    return this.evaluate(evaluator, input, record, deadline, upstream, run.metadata);
  }

  private evaluate(
    evaluator: PolicyEvaluator,
    input: TranslatedRequest,
    record: CheckRecord,
    deadline: number,
    upstream: HeaderPair[],
    metadata?: JsonObject,
  ): Decision {
    if (this.clock.monotonicMs() > deadline) throw new MeshwardError(ErrorCodes.deadline, "check deadline passed");
    const evalStart = this.clock.monotonicMs();
    const keep = this.options.translate.inputProjection === false ? undefined : evaluator.inputProjection;
    const result = evaluator.evaluateWritten((w) => input.write(w, keep), record.entrypoint);
    record.evalMs = this.clock.monotonicMs() - evalStart;
    record.result = result;
    if (result === undefined) throw new MeshwardError(ErrorCodes.policyUndefined, "policy decision is undefined");
    const decision = toDecision(result);
    if (metadata) decision.dynamicMetadata = { ...metadata, ...decision.dynamicMetadata };
    if (decision.allowed && upstream.length > 0) {
      const fromPolicy = new Set(decision.headers.map(([name]) => name.toLowerCase()));
      decision.headers.push(...upstream.filter(([name]) => !fromPolicy.has(name)));
    }
    return decision;
  }

  /** Reserved headers (headers.ts) the client sent, or might have sent unseen, that Meshward did not
   *  set on this allow go into `headers_to_remove`. */
  private removeForgedHeaders(decision: Decision, request: CheckRequest): void {
    const set = new Set(decision.headers.map(([name]) => name.toLowerCase()));
    const remove = decision.requestHeadersToRemove;
    for (const name of this.ownedHeaders) if (!set.has(name) && !remove.includes(name)) remove.push(name);
    const sent = request.attributes?.request?.http?.headers;
    if (!sent) return;
    for (const name of Object.keys(sent)) {
      const lower = name.toLowerCase();
      if (isReservedHeader(lower) && !set.has(lower) && !remove.includes(lower)) remove.push(lower);
    }
  }
}

/** Calls each observer with the record; one that throws is ignored: logging, metrics or feedback
 *  must never change a decision. */
function notify(observers: readonly CheckObserver[], record: CheckRecord): void {
  for (const observe of observers) {
    try {
      observe(record);
    } catch {
      // ignored on purpose (see above)
    }
  }
}
