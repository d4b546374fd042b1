// The identity enricher when `identity.jwt` or `identity.spiffe` is configured: JWTs verified
// against a cached JWKS whose fetches are counted and logged.
import { IdentityEnricher } from "../identity/identity-enricher.ts";
import { JwksCache } from "../identity/jwks-cache.ts";
import { JwtVerifier } from "../identity/jwt-verifier.ts";
import { displayUrl } from "../ops/display-url.ts";
import type { Wiring } from "./wiring.ts";

export function identityEnricher({ config, logger, nowMs, metrics }: Wiring): IdentityEnricher | undefined {
  const { jwt, spiffe } = config.identity;
  if (!jwt && !spiffe.enabled) return undefined;
  if (!jwt) return new IdentityEnricher({ spiffe: spiffe.enabled });
  const jwks = new JwksCache({
    url: jwt.jwksUrl,
    cacheMs: jwt.jwksCacheMs,
    minRefetchMs: jwt.jwksMinRefetchMs,
    timeoutMs: jwt.jwksTimeoutMs,
    maxBytes: jwt.jwksMaxBytes,
    nowMs,
    onFetch: (result, trigger, { error, keysExpireAtMs }) => {
      metrics.jwksFetch(result, trigger, keysExpireAtMs);
      if (error) logger.warn({ event: "jwks", url: displayUrl(jwt.jwksUrl), trigger, error }, "JWKS fetch failed");
    },
  });
  return new IdentityEnricher({
    spiffe: spiffe.enabled,
    jwt: { config: jwt, verifier: new JwtVerifier(jwt, jwks), jwksStatus: () => jwks.status() },
  });
}
