// The Check use case, independent of transport: CheckRequest → policy input → enrichers (identity,
// risk) → Rego → decision → CheckResponse. Every failure becomes a coded deny with the configured
// status; nothing here can allow by accident. Dry-run mode is the one configured exception: the
// client is let through, and the record says what would have happened.
import { randomUUID } from "node:crypto";
import type { EnrichContext, Enrichment, InputEnricher } from "./enrich.ts";
import { type ErrorCode, ErrorCodes, errorCodeOf, MeshwardError } from "./errors.ts";
import type { CheckRequest, CheckResponse } from "./gen/envoy/service/auth/v3/external_auth_pb.ts";
import type { ActivePolicy } from "./policy/active-policy.ts";
import {
  checkHeaderName,
  checkHeaderValue,
  type Decision,
  emptyDecision,
  type HeaderPair,
  toDecision,
} from "./translate/decision.ts";
import { type PolicyInput, type TranslateOptions, toPolicyInput } from "./translate/input.ts";
import { errorDecision, toCheckResponse } from "./translate/response.ts";

export interface CheckServiceOptions {
  /** Rego rule evaluated when a route names none (opa-envoy's default `envoy/authz/allow`). */
  defaultEntrypoint: string;
  /** context_extensions key through which a route names its entrypoint (opa-envoy#653). */
  entrypointContextKey: string;
  /** HTTP status of the deny sent when the check itself fails. */
  errorStatus: number;
  /** Allow everything, but record the decision that would have been made. */
  dryRun: boolean;
  /** Upper bound on one check, also when the caller sent no deadline. */
  checkTimeoutMs: number;
  translate: TranslateOptions;
}

export interface CheckClock {
  /** Wall clock, ms since the epoch. */
  nowMs(): number;
  /** Monotonic clock for durations, ms. */
  monotonicMs(): number;
}

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
}

export interface CheckOutcome {
  response: CheckResponse;
  decision: Decision;
  record: CheckRecord;
}

export interface CheckDependencies {
  policy: ActivePolicy;
  enrichers?: readonly InputEnricher[];
  /** Called after every check (decision log, metrics); an observer that throws is ignored. */
  observers?: readonly ((record: CheckRecord) => void)[];
  clock?: CheckClock;
  newDecisionId?: () => string;
}

const systemClock: CheckClock = { nowMs: Date.now, monotonicMs: () => performance.now() };

export class CheckService {
  private readonly enrichers: readonly InputEnricher[];
  private readonly ownedHeaders: string[];
  private readonly observers: readonly ((record: CheckRecord) => void)[];
  private readonly clock: CheckClock;
  private readonly newDecisionId: () => string;

  constructor(
    private readonly options: CheckServiceOptions,
    private readonly deps: CheckDependencies,
  ) {
    this.enrichers = deps.enrichers ?? [];
    this.ownedHeaders = this.enrichers.flatMap((e) => e.ownedHeaders);
    this.observers = deps.observers ?? [];
    this.clock = deps.clock ?? systemClock;
    this.newDecisionId = deps.newDecisionId ?? randomUUID;
  }

  /** `deadlineMs` is the caller's deadline on the monotonic clock (gRPC deadline), if any. */
  async check(request: CheckRequest, deadlineMs?: number): Promise<CheckOutcome> {
    const started = this.clock.monotonicMs();
    const deadline = Math.min(deadlineMs ?? Number.POSITIVE_INFINITY, started + this.options.checkTimeoutMs);
    const record: CheckRecord = {
      decisionId: this.newDecisionId(),
      allowed: false,
      decidedAllow: false,
      dryRun: this.options.dryRun,
      entrypoint: this.entrypointFor(request),
      durationMs: 0,
    };
    let decision: Decision;
    try {
      decision = await this.decide(request, record, deadline);
      record.decidedAllow = decision.allowed;
      if (!decision.allowed) record.httpStatus = decision.httpStatus ?? 403;
    } catch (err) {
      record.errorCode = errorCodeOf(err);
      record.errorMessage = (err as Error)?.message ?? String(err);
      record.httpStatus = this.options.errorStatus;
      decision = errorDecision(record.errorCode, this.options.errorStatus);
    }
    if (this.options.dryRun && !decision.allowed) decision = emptyDecision(true);
    if (decision.allowed) this.removeForgedHeaders(decision);
    record.allowed = decision.allowed;
    record.durationMs = this.clock.monotonicMs() - started;
    for (const observe of this.observers) {
      try {
        observe(record);
      } catch {
        // Logging or metrics must never change a decision.
      }
    }
    return { response: toCheckResponse(decision, record.decisionId), decision, record };
  }

  private entrypointFor(request: CheckRequest): string {
    const named = request.attributes?.contextExtensions[this.options.entrypointContextKey];
    return named && named !== "" ? named : this.options.defaultEntrypoint;
  }

  private async decide(request: CheckRequest, record: CheckRecord, deadline: number): Promise<Decision> {
    const evaluator = this.deps.policy.evaluator; // an in-flight check keeps the bundle it started with
    if (!evaluator) throw new MeshwardError(ErrorCodes.noBundle, "no policy bundle is active");
    record.revision = evaluator.revision;
    const input = toPolicyInput(request, this.options.translate);
    record.input = input;
    const upstream = await this.enrich(request, input, deadline);
    if (this.clock.monotonicMs() > deadline) throw new MeshwardError(ErrorCodes.deadline, "check deadline passed");
    const result = evaluator.evaluate(input, record.entrypoint);
    record.result = result;
    if (result === undefined) throw new MeshwardError(ErrorCodes.policyUndefined, "policy decision is undefined");
    const decision = toDecision(result);
    if (decision.allowed && upstream.length > 0) {
      const fromPolicy = new Set(decision.headers.map(([name]) => name.toLowerCase()));
      decision.headers.push(...upstream.filter(([name]) => !fromPolicy.has(name)));
    }
    return decision;
  }

  private async enrich(request: CheckRequest, input: PolicyInput, deadline: number): Promise<HeaderPair[]> {
    if (this.enrichers.length === 0) return [];
    const meshward: Record<string, unknown> = {};
    input.meshward = meshward;
    const remaining = deadline - this.clock.monotonicMs();
    const controller = new AbortController();
    const timer = Number.isFinite(remaining) ? setTimeout(() => controller.abort(), Math.max(0, remaining)) : undefined;
    const context: EnrichContext = { request, input, meshward, nowMs: this.clock.nowMs(), signal: controller.signal };
    const headers: HeaderPair[] = [];
    try {
      for (const enricher of this.enrichers) {
        let enrichment: Enrichment | undefined;
        try {
          const pending = enricher.enrich(context);
          enrichment = pending instanceof Promise ? await abortable(pending, controller.signal) : pending;
        } catch (err) {
          if (err instanceof MeshwardError) throw err;
          throw new MeshwardError(ErrorCodes.enrich, `${enricher.name}: ${(err as Error)?.message ?? err}`, {
            cause: err,
          });
        }
        for (const [name, value] of enrichment?.upstreamHeaders ?? []) {
          // Header values may come from tokens (a JWT `sub`): never let them split headers.
          try {
            headers.push([checkHeaderName(name, enricher.name), checkHeaderValue(value, name, enricher.name)]);
          } catch (err) {
            throw new MeshwardError(ErrorCodes.enrich, (err as Error).message);
          }
        }
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
    return headers;
  }

  private removeForgedHeaders(decision: Decision): void {
    if (this.ownedHeaders.length === 0) return;
    const set = new Set(decision.headers.map(([name]) => name.toLowerCase()));
    for (const name of this.ownedHeaders) {
      if (!set.has(name) && !decision.requestHeadersToRemove.includes(name)) decision.requestHeadersToRemove.push(name);
    }
  }
}

function abortable<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new MeshwardError(ErrorCodes.deadline, "check deadline passed"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new MeshwardError(ErrorCodes.deadline, "check deadline passed"));
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
