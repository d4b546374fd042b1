// The ShouldRateLimit use case (envoy.service.ratelimit.v3), independent of transport: request
// bounds → the domain's rules → one decision for all descriptors (failover-store.ts) → response
// with a status per descriptor, the overall code and the RateLimit headers.
//
// Per descriptor, as envoyproxy/ratelimit answers: no matching rule → OK without a limit;
// `unlimited` → OK with limit_remaining 2^32−1; `replaces` drops the named limits of the same
// request; a shadow-mode limit is evaluated and counted but answers OK. A descriptor's `limit`
// override (from Envoy's config) changes the rate of the rule it matched; unlike
// envoyproxy/ratelimit, it does not create a limit where the rules define none.
//
// Malformed or oversized requests and unknown domains are refused with a coded MeshwardError
// (the transport answers INVALID_ARGUMENT / NOT_FOUND; Envoy then applies its own
// `failure_mode_deny`).
import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { ErrorCodes, errorCodeOf, MeshwardError } from "../errors.ts";
import { HeaderValueSchema } from "../gen/envoy/config/core/v3/base_pb.ts";
import type { RateLimitDescriptor } from "../gen/envoy/extensions/common/ratelimit/v3/ratelimit_pb.ts";
import {
  type RateLimitRequest,
  type RateLimitResponse,
  RateLimitResponse_Code,
  type RateLimitResponse_DescriptorStatus,
  RateLimitResponse_DescriptorStatusSchema,
  RateLimitResponse_RateLimit_Unit,
  RateLimitResponse_RateLimitSchema,
  RateLimitResponseSchema,
} from "../gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { RateLimitUnit } from "../gen/envoy/type/v3/ratelimit_unit_pb.ts";
import type { DecisionSource, RateDecider } from "./failover-store.ts";
import { gcraLimit } from "./gcra.ts";
import { type LimitState, rateLimitHeaders } from "./ratelimit-headers.ts";
import { type CompiledDomain, type CompiledRule, type DescriptorMatch, matchDescriptor } from "./rules.ts";
import { type LimitUnit, MAX_RATE_PER_SECOND, UNIT_SECONDS } from "./rules-schema.ts";
import type { Charge, ChargeResult } from "./store.ts";

export interface RequestBounds {
  /** Descriptors per request. */
  maxDescriptors: number;
  /** Entries per descriptor. */
  maxEntries: number;
  /** Characters of one entry's key or value (and of the domain). */
  maxValueLength: number;
}

export type HeadersMode = "off" | "limited" | "all";

/** One descriptor's outcome, for metrics. */
export interface DescriptorOutcome {
  readonly rule: CompiledRule;
  readonly result: "ok" | "over_limit" | "shadow_over_limit";
  /** Admitted with less than a fifth of the burst left. */
  readonly nearLimit: boolean;
  readonly overflow: boolean;
}

export interface CallRecord {
  readonly domain: string;
  readonly overLimit: boolean;
  readonly outcomes: readonly DescriptorOutcome[];
  /** Where the charges were decided; "none" when nothing needed deciding. */
  readonly source: DecisionSource | "none";
  readonly durationMs: number;
}

export interface RateLimitServiceDependencies {
  /** The active rules by domain (hot reload swaps the map; a call keeps the one it started with). */
  domains(): ReadonlyMap<string, CompiledDomain>;
  decider: RateDecider;
  observe?(record: CallRecord): void;
  /** A refused call: the domain when it is configured (a metric label), the MW_RL_* code, and the
   *  domain the request named (for a log line only: it comes from the client). */
  observeRefusal?(domain: string | undefined, code: string, requested: string): void;
  monotonicMs?: () => number;
}

const UINT32_MAX = 4_294_967_295;
/** Left when less than this share of the burst remains: "near limit" (envoyproxy/ratelimit's 80%). */
const NEAR_LIMIT_SHARE = 0.2;

const RESPONSE_UNIT: Record<LimitUnit, RateLimitResponse_RateLimit_Unit> = {
  second: RateLimitResponse_RateLimit_Unit.SECOND,
  minute: RateLimitResponse_RateLimit_Unit.MINUTE,
  hour: RateLimitResponse_RateLimit_Unit.HOUR,
  day: RateLimitResponse_RateLimit_Unit.DAY,
};

const OVERRIDE_UNIT: Partial<Record<RateLimitUnit, LimitUnit>> = {
  [RateLimitUnit.SECOND]: "second",
  [RateLimitUnit.MINUTE]: "minute",
  [RateLimitUnit.HOUR]: "hour",
  [RateLimitUnit.DAY]: "day",
};

/** A matched limit of this request: the rule and what the response reports for it. */
interface Limited {
  index: number;
  rule: CompiledRule;
  requestsPerUnit: number;
  unit: LimitUnit;
  /** Index into the charges sent to the store; -1 for a rule that refuses everything. */
  charge: number;
}

function badRequest(message: string): MeshwardError {
  return new MeshwardError(ErrorCodes.rateLimitBadRequest, message);
}

export class RateLimitService {
  private readonly monotonicMs: () => number;

  constructor(
    private readonly bounds: RequestBounds,
    private readonly headersMode: HeadersMode,
    private readonly deps: RateLimitServiceDependencies,
  ) {
    this.monotonicMs = deps.monotonicMs ?? (() => performance.now());
  }

  /** Rejects with MeshwardError (MW_RL_BAD_REQUEST, MW_RL_UNKNOWN_DOMAIN) for requests it refuses. */
  shouldRateLimit(request: RateLimitRequest, deadlineMs?: number): Promise<RateLimitResponse> {
    const started = this.monotonicMs();
    let domain: CompiledDomain | undefined;
    try {
      this.checkBounds(request);
      domain = this.deps.domains().get(request.domain);
      if (!domain)
        throw new MeshwardError(ErrorCodes.rateLimitUnknownDomain, `no rate-limit rules for domain ${request.domain}`);
    } catch (err) {
      this.deps.observeRefusal?.(undefined, errorCodeOf(err), request.domain);
      return Promise.reject(err);
    }
    const known = domain;
    return this.decide(request, known, started, deadlineMs).catch((err: unknown) => {
      this.deps.observeRefusal?.(known.domain, errorCodeOf(err), known.domain);
      throw err;
    });
  }

  private async decide(
    request: RateLimitRequest,
    domain: CompiledDomain,
    started: number,
    deadlineMs: number | undefined,
  ): Promise<RateLimitResponse> {
    const cost = request.hitsAddend === 0 ? 1 : request.hitsAddend;
    const matches = request.descriptors.map((d) => matchDescriptor(domain, d.entries));
    const replaced = new Set<string>();
    for (const m of matches) if (m.kind === "limited") for (const name of m.rule.replaces) replaced.add(name);

    const limited: Limited[] = [];
    const charges: Charge[] = [];
    let blocked = false;
    matches.forEach((m, index) => {
      if (m.kind !== "limited" || (m.rule.explicitName !== undefined && replaced.has(m.rule.explicitName))) return;
      const entry = this.limitOf(m, request.descriptors[index] as RateLimitDescriptor, index, cost, charges);
      if (entry.charge === -1 && !m.rule.shadow) blocked = true;
      limited.push(entry);
    });

    // A rule of 0 requests refuses the request without asking the store (nothing would be charged).
    let results: ChargeResult[] = [];
    let source: CallRecord["source"] = "none";
    if (charges.length > 0 && !blocked) {
      const decision = await this.deps.decider.decide(domain, charges, deadlineMs);
      results = decision.results;
      source = decision.source;
    }
    return this.respond(matches, limited, results, source, domain.domain, started);
  }

  private checkBounds(request: RateLimitRequest): void {
    const b = this.bounds;
    if (request.domain === "") throw badRequest("domain: must not be empty");
    if (request.domain.length > b.maxValueLength) throw badRequest(`domain: longer than ${b.maxValueLength}`);
    const n = request.descriptors.length;
    if (n === 0) throw badRequest("descriptors: at least one is required");
    if (n > b.maxDescriptors) throw badRequest(`descriptors: at most ${b.maxDescriptors}, got ${n}`);
    for (let i = 0; i < n; i++) {
      // An empty descriptor is what Envoy sends when every action of a rate-limit policy was
      // skipped (`skip_if_absent`): it matches no rule.
      const entries = (request.descriptors[i] as RateLimitDescriptor).entries;
      if (entries.length > b.maxEntries)
        throw badRequest(`descriptors[${i}].entries: at most ${b.maxEntries}, got ${entries.length}`);
      for (let j = 0; j < entries.length; j++) {
        const { key, value } = entries[j] as { key: string; value: string };
        if (key === "" || key.length > b.maxValueLength || value.length > b.maxValueLength)
          throw badRequest(
            `descriptors[${i}].entries[${j}]: key must be 1..${b.maxValueLength}, value 0..${b.maxValueLength} characters`,
          );
      }
    }
  }

  /** The limit a matched descriptor is held to (its rule, or the request's override of its rate). */
  private limitOf(
    m: Extract<DescriptorMatch, { kind: "limited" }>,
    descriptor: RateLimitDescriptor,
    index: number,
    cost: number,
    charges: Charge[],
  ): Limited {
    const rule = m.rule;
    let { requestsPerUnit, unit } = rule;
    let limit = rule.limit;
    let bucket = m.bucket;
    const override = descriptor.limit;
    if (override) {
      const overrideUnit = OVERRIDE_UNIT[override.unit];
      if (!overrideUnit) throw badRequest(`descriptors[${index}].limit.unit: must be SECOND, MINUTE, HOUR or DAY`);
      if (override.requestsPerUnit > MAX_RATE_PER_SECOND * UNIT_SECONDS[overrideUnit])
        throw badRequest(`descriptors[${index}].limit.requests_per_unit: at most ${MAX_RATE_PER_SECOND} per second`);
      requestsPerUnit = override.requestsPerUnit;
      unit = overrideUnit;
      limit = requestsPerUnit > 0 ? gcraLimit(requestsPerUnit, UNIT_SECONDS[unit], requestsPerUnit) : null;
      // Its own bucket: a different rate must not inherit (or spend) the rule's state.
      bucket = `${bucket}@${requestsPerUnit}/${unit}`;
    }
    if (limit === null) return { index, rule, requestsPerUnit, unit, charge: -1 };
    charges.push({ rule, limit, bucket, cost, enforce: !rule.shadow });
    return { index, rule, requestsPerUnit, unit, charge: charges.length - 1 };
  }

  private respond(
    matches: readonly DescriptorMatch[],
    limited: readonly Limited[],
    results: readonly ChargeResult[],
    source: CallRecord["source"],
    domain: string,
    started: number,
  ): RateLimitResponse {
    const statuses: RateLimitResponse_DescriptorStatus[] = matches.map((m) =>
      create(RateLimitResponse_DescriptorStatusSchema, {
        code: RateLimitResponse_Code.OK,
        limitRemaining: m.kind === "unlimited" ? UINT32_MAX : 0,
      }),
    );
    const outcomes: DescriptorOutcome[] = [];
    const states: LimitState[] = [];
    let overLimit = false;
    let retryUs = 0;
    for (const l of limited) {
      const result = l.charge === -1 ? undefined : results[l.charge];
      // No result: a 0-rate rule, or a request already refused by one (nothing was decided).
      const admitted = result ? result.admitted : l.charge !== -1;
      const status = statuses[l.index] as RateLimitResponse_DescriptorStatus;
      status.currentLimit = create(RateLimitResponse_RateLimitSchema, {
        name: l.rule.name,
        requestsPerUnit: l.requestsPerUnit,
        unit: RESPONSE_UNIT[l.unit],
      });
      const remaining = result?.remaining ?? 0;
      const resetUs = result?.resetUs ?? 0;
      status.limitRemaining = Math.min(remaining, UINT32_MAX);
      status.durationUntilReset = create(DurationSchema, {
        seconds: BigInt(Math.floor(resetUs / 1e6)),
        nanos: Math.round(resetUs % 1e6) * 1000,
      });
      if (!admitted && !l.rule.shadow) {
        status.code = RateLimitResponse_Code.OVER_LIMIT;
        overLimit = true;
        retryUs = Math.max(retryUs, result?.retryUs ?? 1e6);
      }
      outcomes.push({
        rule: l.rule,
        result: admitted ? "ok" : l.rule.shadow ? "shadow_over_limit" : "over_limit",
        nearLimit: admitted && remaining < l.rule.burst * NEAR_LIMIT_SHARE,
        overflow: result?.overflow ?? false,
      });
      if (!l.rule.shadow)
        states.push({
          name: l.rule.name,
          requestsPerUnit: l.requestsPerUnit,
          unitSeconds: UNIT_SECONDS[l.unit],
          remaining,
          resetUs,
        });
    }
    const response = create(RateLimitResponseSchema, {
      overallCode: overLimit ? RateLimitResponse_Code.OVER_LIMIT : RateLimitResponse_Code.OK,
      statuses,
    });
    if (this.headersMode === "all" || (this.headersMode === "limited" && overLimit)) {
      response.responseHeadersToAdd = rateLimitHeaders(states, overLimit ? retryUs : undefined).map(([key, value]) =>
        create(HeaderValueSchema, { key, value }),
      );
    }
    this.deps.observe?.({ domain, overLimit, outcomes, source, durationMs: this.monotonicMs() - started });
    return response;
  }
}
