// The identity enricher: writes `input.meshward.identity` for every check and, when a subject is
// verified, the `x-meshward-subject` upstream header (docs/headers.md). The decision's dynamic
// metadata gets `principal_type` (`user` for a verified JWT, `service` for an mTLS peer alone,
// `anonymous`) and the verified `subject`, for Envoy's rate-limit descriptors (a policy's own
// keys of the same name win).
//   {subject, issuer, audience, claims, spiffe_id, authenticated, method: "jwt"|"mtls"|"none", error?}
// A verified JWT wins for `subject`; the mTLS peer's SPIFFE ID (source.principal) is always reported
// in `spiffe_id` and is the subject when there is no JWT. A presented-but-invalid JWT leaves the
// request unauthenticated with `error` set, even if an mTLS peer is present: the policy decides.

import type { EnrichContext, Enrichment, InputEnricher } from "../check/enricher.ts";
import type { JwtConfig } from "../config/schema.ts";
import { UpstreamHeaders } from "../contract/headers.ts";
import type { JwksStatus } from "./jwks-cache.ts";
import { extractToken, type JwtVerifier } from "./jwt-verifier.ts";
import { parseSpiffeId } from "./spiffe.ts";

export const SUBJECT_HEADER = UpstreamHeaders.subject;

export interface Identity {
  subject: string | null;
  issuer: string | null;
  audience: string[] | null;
  claims: Record<string, unknown> | null;
  spiffe_id: string | null;
  authenticated: boolean;
  method: "jwt" | "mtls" | "none";
  error?: string;
}

export interface IdentityEnricherOptions {
  jwt?: { config: JwtConfig; verifier: JwtVerifier; jwksStatus: () => JwksStatus };
  spiffe: boolean;
}

const PRINCIPAL_TYPE = { jwt: "user", mtls: "service", none: "anonymous" } as const;

function enrichmentOf(identity: Identity): Enrichment {
  const principal_type = PRINCIPAL_TYPE[identity.method];
  if (!identity.subject) return { dynamicMetadata: { principal_type } };
  return {
    upstreamHeaders: [[SUBJECT_HEADER, identity.subject]],
    dynamicMetadata: { principal_type, subject: identity.subject },
  };
}

export class IdentityEnricher implements InputEnricher {
  readonly name = "identity";
  readonly ownedHeaders = [SUBJECT_HEADER];

  constructor(private readonly options: IdentityEnricherOptions) {}

  status(): { jwks?: JwksStatus; spiffe: boolean } {
    return { ...(this.options.jwt ? { jwks: this.options.jwt.jwksStatus() } : {}), spiffe: this.options.spiffe };
  }

  /** Synchronous unless a JWT has to be verified (JWKS lookup may fetch). */
  enrich(context: EnrichContext): Enrichment | Promise<Enrichment> {
    const identity: Identity = {
      subject: null,
      issuer: null,
      audience: null,
      claims: null,
      spiffe_id: null,
      authenticated: false,
      method: "none",
    };
    context.meshward.identity = identity;
    const principal = context.request.attributes?.source?.principal ?? "";
    const spiffe = this.options.spiffe && principal ? parseSpiffeId(principal) : undefined;
    if (spiffe) identity.spiffe_id = spiffe.id;
    const jwt = this.options.jwt;
    const token = jwt ? extractToken(context.request.attributes?.request?.http?.headers ?? {}, jwt.config) : undefined;
    if (jwt && token) {
      return jwt.verifier.verify(token, context.nowMs).then((result) => {
        if (!result.ok) {
          identity.error = result.reason;
          return enrichmentOf(identity);
        }
        const p = result.payload;
        identity.subject = typeof p.sub === "string" ? p.sub : null;
        identity.issuer = typeof p.iss === "string" ? p.iss : null;
        identity.audience = p.aud === undefined ? null : Array.isArray(p.aud) ? p.aud : [p.aud];
        identity.claims = p as Record<string, unknown>;
        identity.authenticated = true;
        identity.method = "jwt";
        return enrichmentOf(identity);
      });
    }
    if (spiffe) {
      identity.subject = spiffe.id;
      identity.authenticated = true;
      identity.method = "mtls";
    }
    return enrichmentOf(identity);
  }
}
