// SPIFFE IDs (spiffe.io SPIFFE-ID spec): `spiffe://<trust domain>/<path>`, trust domain lower-case
// [a-z0-9.-_], path segments of [A-Za-z0-9.-_], no empty, "." or ".." segments, no query/fragment.
// Envoy puts the mTLS peer's URI SAN in `source.principal`. Pure.

export interface SpiffeId {
  id: string;
  trustDomain: string;
  path: string;
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

export function parseSpiffeId(text: string): SpiffeId | undefined {
  if (!text.startsWith("spiffe://") || text.length > 2048) return undefined;
  const rest = text.slice("spiffe://".length);
  const slash = rest.indexOf("/");
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash);
  if (!TRUST_DOMAIN.test(trustDomain)) return undefined;
  if (path !== "") {
    const segments = path.slice(1).split("/");
    if (segments.some((s) => s === "." || s === ".." || !SEGMENT.test(s))) return undefined;
  }
  return { id: text, trustDomain, path };
}
