// The risk engine's public data shapes: what the server hands in once per check (RiskContext) and
// what it gets back (RiskAssessment, exposed to Rego as `input.meshward.risk`).

/** Ordered from least to most risky; the order is used for comparisons (see `levelRank`). */
export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export function levelRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

export function isRiskLevel(value: unknown): value is RiskLevel {
  return typeof value === "string" && (RISK_LEVELS as readonly string[]).includes(value);
}

/** The verified identity as the identity layer produced it (the same object as `input.meshward.identity`). */
export interface RiskIdentity {
  subject?: string | null;
  issuer?: string | null;
  /** Verified JWT claims; `iat` (seconds since the epoch), `acr`, `amr`, `sid`, `jti` are read. */
  claims?: Readonly<Record<string, unknown>> | null;
  spiffe_id?: string | null;
  authenticated: boolean;
}

/** Everything the engine looks at for one check. Plain data: the server builds it from the CheckRequest. */
export interface RiskContext {
  identity: RiskIdentity;
  /** Source address of the downstream client (IPv4 or IPv6 text form, no port). */
  sourceIp?: string | null;
  /** Request headers with lower-case names (as Envoy sends them in the CheckRequest). */
  headers: Readonly<Record<string, string>>;
  method: string;
  path: string;
  /** The route's ext_authz `context_extensions` (e.g. `meshward.sensitivity`). */
  contextExtensions?: Readonly<Record<string, string>> | null;
}

/** One signal's share of the score. `contribution` is in score points (0..100) before saturation. */
export interface RiskReason {
  signal: string;
  contribution: number;
  detail: string;
}

/** `input.meshward.risk`: `score` is an integer 0..100; reasons are sorted by contribution, largest first. */
export interface RiskAssessment {
  score: number;
  level: RiskLevel;
  reasons: RiskReason[];
}

/** Feedback after a check: the server reports authentication failures and policy denials. */
export interface RiskOutcome {
  kind: "auth-failed" | "denied";
  /**
   * The principal the request claimed or proved (a verified subject, a SPIFFE ID, or for a failed
   * login the unverified username/subject the client presented). Null when unknown.
   */
  principal?: string | null;
  sourceIp?: string | null;
}
