// The header contract of the authz server (docs/headers.md is its prose): every `x-meshward-*`
// name it writes or reads, who sets each, and the rule that keeps clients from forging them:
// the whole `x-meshward-` family is reserved. On every allow, each reserved header the client sent
// and Meshward did not set (enricher or policy) is removed before the request goes upstream,
// whatever is configured — a client's `x-meshward-route` must not reach an upstream or an Istio
// HTTP provider that forwards it as a policy decision. The names below are also removed when the
// check request does not show them (Istio's HTTP provider forwards only listed headers to the
// server), so the known ones are covered even then.

export const RESERVED_PREFIX = "x-meshward-";

/** Upstream request headers, set on allow. */
export const UpstreamHeaders = {
  /** Verified subject: the JWT `sub`, else the mTLS peer's SPIFFE ID (identity enricher). */
  subject: "x-meshward-subject",
  /** Risk score 0..100 and level (risk enricher). */
  riskScore: "x-meshward-risk-score",
  riskLevel: "x-meshward-risk-level",
  /** Set by policies (the zero-trust bundle): risk reasons, the action taken, the matched route,
   *  the policy name and the principal type. */
  riskReasons: "x-meshward-risk-reasons",
  action: "x-meshward-action",
  route: "x-meshward-route",
  policy: "x-meshward-policy",
  principalType: "x-meshward-principal-type",
  /** Decision id, on HTTP-mode allows (Envoy copies `x-` reply headers upstream). */
  decisionId: "x-meshward-decision-id",
  /** Set by Envoy on the check request in HTTP mode (route entrypoint), never by a client. */
  entrypoint: "x-meshward-entrypoint",
} as const;

/** Response headers towards the client. */
export const DownstreamHeaders = {
  /** Coded reason of a deny the server itself produced (MW_*), or the policy's reason. */
  reason: "x-meshward-reason",
  /** Risk action on an allow that was not a plain allow (zero-trust policy). */
  riskAction: "x-meshward-risk-action",
} as const;

/** Every name above: removed from the upstream request on allow unless Meshward set it. */
export const RESERVED_HEADERS: readonly string[] = [
  ...Object.values(UpstreamHeaders),
  ...Object.values(DownstreamHeaders),
];

export function isReservedHeader(lowerCaseName: string): boolean {
  return lowerCaseName.startsWith(RESERVED_PREFIX);
}
