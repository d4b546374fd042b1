// Plugs the risk engine (authz-server/src/risk/, its README "API") into the check through the
// InputEnricher point: per check `assess(context, nowMs)` → `input.meshward.risk`, the
// `x-meshward-risk-score` / `-level` upstream headers (docs/headers.md) and `risk_score` /
// `risk_level` dynamic metadata; after a check, `recordOutcome` for failed authentication (an
// invalid token was presented, or a 401 from the policy) and policy denials (`outcomeOf`). Typed structurally against the engine's API so
// this file does not depend on the engine's modules; composition happens in app/risk-wiring.ts.
import type { CheckRecord } from "../check/check-record.ts";
import type { EnrichContext, Enrichment, InputEnricher } from "../check/enricher.ts";
import { UpstreamHeaders } from "../contract/headers.ts";
import type { ClaimedPrincipalReader } from "../identity/claimed-principal.ts";
import type { Identity } from "../identity/identity-enricher.ts";

export const RISK_SCORE_HEADER = UpstreamHeaders.riskScore;
export const RISK_LEVEL_HEADER = UpstreamHeaders.riskLevel;

export interface RiskAssessmentLike {
  score: number;
  level: string;
  reasons: unknown[];
}

/** The part of the risk engine's RiskEngine the server uses. */
export interface RiskAssessor {
  assess(
    context: {
      identity: Pick<Identity, "subject" | "issuer" | "claims" | "spiffe_id" | "authenticated">;
      sourceIp: string | null;
      headers: Readonly<Record<string, string>>;
      method: string;
      path: string;
      contextExtensions: Readonly<Record<string, string>> | null;
    },
    nowMs: number,
  ): Promise<RiskAssessmentLike>;
  recordOutcome(
    outcome: { kind: "auth-failed" | "denied"; principal: string | null; sourceIp: string | null },
    nowMs: number,
  ): Promise<void>;
}

type RiskIdentity = Pick<Identity, "subject" | "issuer" | "claims" | "spiffe_id" | "authenticated" | "error">;

const ANONYMOUS: RiskIdentity = { subject: null, issuer: null, claims: null, spiffe_id: null, authenticated: false };

/** What the enricher learnt about a check while scoring it, kept for the check's outcome. */
export interface RiskFacts {
  identity: RiskIdentity;
  sourceIp: string | null;
  /** Lower-case request headers (the claimed principal is read from them). */
  headers: Readonly<Record<string, string>>;
}

function sourceIpOf(context: Pick<EnrichContext, "request">): string | null {
  const address = context.request.attributes?.source?.address?.address;
  return address?.case === "socketAddress" && address.value.address ? address.value.address : null;
}

export type OutcomeKind = "auth-failed" | "denied";

export interface RiskEnricherOptions {
  /** Whom a failed login was for (identity/claimed-principal.ts); without it only the source IP is charged. */
  claimedPrincipal?: ClaimedPrincipalReader;
  /** Called for every outcome reported to the engine (a metric). */
  onOutcome?: (kind: OutcomeKind) => void;
}

/**
 * What a finished check tells the engine, or undefined for nothing:
 * - `auth-failed`: a token was presented and failed verification (invalid, expired, unknown key…),
 *   or the policy denied with 401 (authentication required / step-up). The principal is the
 *   verified one if any, else the name the request claimed (see identity/claimed-principal.ts).
 * - `denied`: any other policy denial, charged to the verified principal only.
 * Internal failures (an MW_* code) are the server's fault, not the client's: not reported; nor is a
 * check the enricher never saw (no facts).
 */
export function outcomeOf(
  record: Pick<CheckRecord, "errorCode" | "decidedAllow" | "httpStatus">,
  facts: RiskFacts | undefined,
  claimed: ClaimedPrincipalReader | undefined,
): { kind: OutcomeKind; principal: string | null; sourceIp: string | null } | undefined {
  if (record.errorCode !== undefined || !facts) return undefined;
  const { identity, sourceIp } = facts;
  let kind: OutcomeKind | undefined;
  if (identity.error) kind = "auth-failed";
  else if (!record.decidedAllow) kind = record.httpStatus === 401 ? "auth-failed" : "denied";
  if (!kind) return undefined;
  let principal = identity.authenticated ? (identity.subject ?? identity.spiffe_id) : null;
  if (principal === null && kind === "auth-failed" && claimed) principal = claimed(facts.headers);
  return { kind, principal, sourceIp };
}

export class RiskEnricher implements InputEnricher {
  readonly name = "risk";
  readonly ownedHeaders = [RISK_SCORE_HEADER, RISK_LEVEL_HEADER];

  constructor(
    private readonly engine: RiskAssessor,
    private readonly nowMs: () => number = Date.now,
    private readonly options: RiskEnricherOptions = {},
  ) {}

  enrich(context: EnrichContext): Promise<Enrichment> {
    const http = context.request.attributes?.request?.http;
    const facts: RiskFacts = {
      identity: (context.meshward.identity as Identity | undefined) ?? ANONYMOUS,
      sourceIp: sourceIpOf(context),
      headers: http?.headers ?? {},
    };
    const path = http?.path ?? "";
    const q = path.indexOf("?");
    return this.engine
      .assess(
        {
          identity: facts.identity,
          sourceIp: facts.sourceIp,
          headers: facts.headers,
          method: http?.method ?? "",
          path: q === -1 ? path : path.slice(0, q),
          contextExtensions: context.request.attributes?.contextExtensions ?? null,
        },
        context.nowMs,
      )
      .then((risk) => {
        context.meshward.risk = risk;
        return {
          upstreamHeaders: [
            [RISK_SCORE_HEADER, String(risk.score)],
            [RISK_LEVEL_HEADER, risk.level],
          ],
          dynamicMetadata: { risk_score: risk.score, risk_level: risk.level },
          onFinish: (record: CheckRecord) => this.report(record, facts),
        };
      });
  }

  /** The end of a check this enricher scored: feeds failed authentications and denials back to the
   *  engine, from the facts recorded while enriching. The store call is issued before the check's
   *  response is sent (ioredis writes it at once), so on one Redis connection it is ordered before
   *  the next check's read. */
  private report(record: CheckRecord, facts: RiskFacts): void {
    const outcome = outcomeOf(record, facts, this.options.claimedPrincipal);
    if (!outcome) return;
    this.options.onOutcome?.(outcome.kind);
    void this.engine.recordOutcome(outcome, this.nowMs()).catch(() => {});
  }
}
