// A remote JWKS with the failure behaviour an authz server needs (Authorino#463, jose's own
// createRemoteJWKSet drops keys on a failed refresh):
//   - keys are fetched once (the first checks wait for that fetch); after that, keys older than
//     `cacheMs` are refreshed in the background: the check that notices answers with the cached
//     keys at once, so a slow or hanging IdP never delays a check whose key is cached;
//   - an unknown `kid` triggers a refetch that the check waits for (its key is not cached), at most
//     once per `minRefetchMs` (a flood of forged kids cannot hammer the IdP);
//   - a failed fetch keeps the last good keys (an IdP outage does not log everyone out) and is
//     reported through `onFetch` and `status()`;
//   - redirects are not followed and the document is capped at `maxBytes` (net/bounded-fetch.ts):
//     a 302 from the IdP's host to someone else's JWKS must not make their keys trusted.
//   - the earliest end of validity of the keys' certificates (`x5c`, RFC 7517 §4.7) is reported, so
//     an alert can tell a JWKS outage that will outlive the keys from one that will not.
// Time comes in through `nowMs`, so tests drive the cache age; fetches go to a real loopback server.
import { X509Certificate } from "node:crypto";
import { createLocalJWKSet, type FlattenedJWSInput, type JSONWebKeySet, type JWTHeaderParameters } from "jose";
import { parseJsonStrict } from "../json/untrusted-json.ts";
import { boundedFetch } from "../net/bounded-fetch.ts";
import { displayUrl } from "../ops/display-url.ts";

export interface JwksFetchDetail {
  /** Why the fetch failed. */
  error?: string;
  /** After a successful fetch: the earliest `notAfter` of the keys' leaf certificates, ms since the
   *  epoch; undefined when no key carries a certificate. */
  keysExpireAtMs?: number;
}

export interface JwksCacheOptions {
  url: string;
  cacheMs: number;
  minRefetchMs: number;
  timeoutMs: number;
  /** Largest JWKS document accepted, bytes. */
  maxBytes: number;
  nowMs: () => number;
  onFetch?: (result: "ok" | "error", trigger: "refresh" | "unknown_kid", detail: JwksFetchDetail) => void;
}

export interface JwksStatus {
  url: string;
  keys: number;
  fetchedAt?: string;
  /** Earliest end of validity of the cached keys' certificates, when any carries one. */
  keysExpireAt?: string;
  lastError?: string;
  lastErrorAt?: string;
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

export class JwksCache {
  private resolver: KeyResolver | undefined;
  private keyIds = new Set<string>();
  private keyCount = 0;
  private keysExpireAtMs: number | undefined;
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  private lastAttemptMs = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private lastError: { message: string; atMs: number } | undefined;

  constructor(private readonly options: JwksCacheOptions) {}

  status(): JwksStatus {
    const s: JwksStatus = { url: displayUrl(this.options.url), keys: this.keyCount };
    if (Number.isFinite(this.fetchedAtMs)) s.fetchedAt = new Date(this.fetchedAtMs).toISOString();
    if (this.keysExpireAtMs !== undefined) s.keysExpireAt = new Date(this.keysExpireAtMs).toISOString();
    if (this.lastError) {
      s.lastError = this.lastError.message;
      s.lastErrorAt = new Date(this.lastError.atMs).toISOString();
    }
    return s;
  }

  /** jose key-resolver: `jwtVerify(token, cache.getKey)`. */
  getKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput) => {
    const now = this.options.nowMs();
    if (!this.resolver) await this.refresh("refresh");
    else if (
      header.kid !== undefined &&
      !this.keyIds.has(header.kid) &&
      now - this.lastAttemptMs >= this.options.minRefetchMs
    ) {
      await this.refresh("unknown_kid");
    } else if (now - this.fetchedAtMs > this.options.cacheMs) {
      void this.refresh("refresh"); // never rejects: failures are recorded by fetchKeys
    }
    if (!this.resolver)
      throw new Error(
        `JWKS ${displayUrl(this.options.url)} unavailable: ${this.lastError?.message ?? "never fetched"}`,
      );
    return this.resolver(header, token);
  };

  private refresh(trigger: "refresh" | "unknown_kid"): Promise<void> {
    // A failed fetch is not retried before minRefetchMs, whatever the trigger.
    if (!this.inFlight && this.options.nowMs() - this.lastAttemptMs < this.options.minRefetchMs) {
      return Promise.resolve();
    }
    this.inFlight ??= this.fetchKeys(trigger).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(trigger: "refresh" | "unknown_kid"): Promise<void> {
    this.lastAttemptMs = this.options.nowMs();
    try {
      const response = await boundedFetch(this.options.url, {
        maxBytes: this.options.maxBytes,
        timeoutMs: this.options.timeoutMs,
      });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      const jwks = parseJsonStrict(Buffer.from(response.body).toString("utf8")) as JSONWebKeySet;
      if (!jwks || !Array.isArray(jwks.keys)) throw new Error("response is not a JWKS (no keys array)");
      this.resolver = createLocalJWKSet(jwks);
      this.keyIds = new Set(jwks.keys.map((k) => k.kid).filter((kid): kid is string => typeof kid === "string"));
      this.keyCount = jwks.keys.length;
      this.keysExpireAtMs = earliestCertificateExpiry(jwks);
      this.fetchedAtMs = this.options.nowMs();
      this.lastError = undefined;
      this.options.onFetch?.(
        "ok",
        trigger,
        this.keysExpireAtMs === undefined ? {} : { keysExpireAtMs: this.keysExpireAtMs },
      );
    } catch (err) {
      const message = (err as Error).message;
      this.lastError = { message, atMs: this.options.nowMs() };
      this.options.onFetch?.("error", trigger, { error: message });
    }
  }
}

/** The earliest `notAfter` (ms since the epoch) of the keys' leaf certificates: the first entry of
 *  each key's `x5c`, base64 DER. Keys without one, or with anything else there (the document comes
 *  from the network), are skipped: the value only informs monitoring, verification uses the key
 *  parameters. */
export function earliestCertificateExpiry(jwks: JSONWebKeySet): number | undefined {
  let earliest: number | undefined;
  for (const key of jwks.keys as unknown[]) {
    const x5c = typeof key === "object" && key !== null ? (key as { x5c?: unknown }).x5c : undefined;
    const leaf = Array.isArray(x5c) ? x5c[0] : undefined;
    if (typeof leaf !== "string") continue;
    let notAfter: number;
    try {
      notAfter = Date.parse(new X509Certificate(Buffer.from(leaf, "base64")).validTo);
    } catch {
      continue;
    }
    if (Number.isFinite(notAfter) && (earliest === undefined || notAfter < earliest)) earliest = notAfter;
  }
  return earliest;
}
