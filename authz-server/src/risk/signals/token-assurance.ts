// Signal 6 — token age and assurance, from the verified JWT's `iat`, `acr` and `amr` (RFC 7519,
// OpenID Connect Core §2, RFC 8176). Workload identities (SPIFFE, no claims) are not judged here.
//
// Age: a = now − iat·1000 ms; strength = ramp(a, freshAgeMs, maxAgeMs) (defaults 1 h and 12 h);
// an `iat` more than `clockSkewMs` (60 s) in the future, or a missing/non-numeric `iat`, gives
// `missingIatStrength` (default 1). contribution = `ageWeight` (default 25) × strength.
// Assurance: strong when `acr` is in `strongAcr` or any `amr` value is in `strongAmr` (defaults:
// the zero-trust policy's high-assurance lists, policy/zero-trust `assurance.high_acr/high_amr`,
// plus the biometric amr values fpt, face, iris); otherwise strength 1 × `assuranceWeight` (20).
// Unauthenticated requests: `unauthenticatedWeight` (default 0: public routes are the policy's call).
import { addReason, ramp, type Signal } from "./signal.ts";

export interface TokenConfig {
  ageWeight: number;
  freshAgeMs: number;
  maxAgeMs: number;
  clockSkewMs: number;
  missingIatStrength: number;
  assuranceWeight: number;
  strongAcr: string[];
  strongAmr: string[];
  unauthenticatedWeight: number;
}

export const TOKEN_DEFAULTS: TokenConfig = {
  ageWeight: 25,
  freshAgeMs: 3_600_000,
  maxAgeMs: 43_200_000,
  clockSkewMs: 60_000,
  missingIatStrength: 1,
  assuranceWeight: 20,
  strongAcr: ["urn:meshward:acr:mfa", "urn:meshward:acr:hwk", "phr", "phrh"],
  strongAmr: ["mfa", "hwk", "swk", "otp", "fpt", "face", "iris"],
  unauthenticatedWeight: 0,
};

export function createTokenAssurance(config: TokenConfig): Signal {
  const strongAcr = new Set(config.strongAcr);
  const strongAmr = new Set(config.strongAmr);
  return ({ ctx, nowMs }, out) => {
    const { identity } = ctx;
    if (!identity.authenticated) {
      addReason(out, "unauthenticated", config.unauthenticatedWeight, 1, "no verified identity");
      return;
    }
    const claims = identity.claims;
    if (!claims || Object.keys(claims).length === 0) return;
    const iat = claims.iat;
    if (typeof iat !== "number" || !Number.isFinite(iat)) {
      addReason(out, "token-age", config.ageWeight, config.missingIatStrength, "token has no numeric iat");
    } else {
      const ageMs = nowMs - iat * 1000;
      if (ageMs < -config.clockSkewMs) {
        addReason(
          out,
          "token-age",
          config.ageWeight,
          config.missingIatStrength,
          `token iat is ${Math.round(-ageMs / 1000)} s in the future`,
        );
      } else {
        const strength = ramp(ageMs, config.freshAgeMs, config.maxAgeMs);
        if (strength > 0)
          addReason(out, "token-age", config.ageWeight, strength, `token issued ${Math.round(ageMs / 60_000)} min ago`);
      }
    }
    const acr = typeof claims.acr === "string" ? claims.acr : null;
    const amr: unknown[] = Array.isArray(claims.amr) ? claims.amr : [];
    let strong = acr !== null && strongAcr.has(acr);
    for (let i = 0; !strong && i < amr.length; i++)
      strong = typeof amr[i] === "string" && strongAmr.has(amr[i] as string);
    if (!strong && config.assuranceWeight > 0) {
      const methods = amr.filter((m) => typeof m === "string").join(",");
      addReason(
        out,
        "token-assurance",
        config.assuranceWeight,
        1,
        `weak authentication (acr=${acr ?? "none"}, amr=[${methods}])`,
      );
    }
  };
}
