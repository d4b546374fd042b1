// Verifies a bearer JWT with jose: signature against the JWKS, algorithm from an allowlist of
// asymmetric algorithms only (so `none` and HS256-signed-with-the-public-key confusion cannot pass),
// issuer, audience, exp/nbf with clock skew against the injected clock. A bad token is not an error:
// it yields an unauthenticated identity with the reason, and the policy decides.
import { errors, type JWTPayload, jwtVerify } from "jose";
import type { JwtConfig } from "../config/schema.ts";
import type { JwksCache } from "./jwks-cache.ts";

/** Longest token verified, in characters (UTF-16 units; a JWT is ASCII, so also bytes). Real IdP
 *  tokens stay far below (a few KiB even with group claims); a bigger one is refused before any
 *  base64 decoding, JSON parsing or hashing, so a validly signed but huge token cannot buy CPU. */
export const MAX_TOKEN_CHARS = 32 * 1024;

export type JwtResult = { ok: true; payload: JWTPayload } | { ok: false; reason: string };

/** Short machine-readable reasons for the policy (`input.meshward.identity.error`). */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `claim_invalid:${err.claim}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return "algorithm_not_allowed";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (err instanceof errors.JWKSNoMatchingKey) return "unknown_key";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return "malformed";
  if (err instanceof Error && /JWKS .* unavailable/.test(err.message)) return "jwks_unavailable";
  return "invalid";
}

export class JwtVerifier {
  constructor(
    private readonly config: JwtConfig,
    private readonly jwks: JwksCache,
  ) {}

  async verify(token: string, nowMs: number): Promise<JwtResult> {
    if (token.length > MAX_TOKEN_CHARS) return { ok: false, reason: "oversized" };
    try {
      const { payload } = await jwtVerify(token, this.jwks.getKey, {
        algorithms: this.config.algorithms,
        clockTolerance: this.config.clockSkewSec,
        currentDate: new Date(nowMs),
        requiredClaims: ["exp"],
        ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
        ...(this.config.audience ? { audience: this.config.audience } : {}),
      });
      return { ok: true, payload };
    } catch (err) {
      return { ok: false, reason: reasonOf(err) };
    }
  }
}

/** The token from the configured header (stripping `Bearer `) or cookie; undefined if absent. */
export function extractToken(
  headers: Record<string, string>,
  config: Pick<JwtConfig, "header" | "cookie">,
): string | undefined {
  const value = headers[config.header];
  if (value) {
    const bearer = /^bearer\s+(.+)$/i.exec(value.trim());
    if (bearer) return bearer[1]?.trim();
    if (config.header !== "authorization") return value.trim();
  }
  if (config.cookie && headers.cookie) {
    for (const part of headers.cookie.split(";")) {
      const eq = part.indexOf("=");
      if (eq !== -1 && part.slice(0, eq).trim() === config.cookie) return decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return undefined;
}
