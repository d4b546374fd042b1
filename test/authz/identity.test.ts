// JWT identity against a JWKS served on loopback (keys generated here): caching, rate-limited
// refetch on an unknown kid, last good keys through an outage, iss/aud/exp/nbf with skew, the
// algorithm allowlist; SPIFFE ID from source.principal. Time is the injected clock.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EnrichContext } from "../../authz-server/src/check/enricher.ts";
import type { JwtConfig } from "../../authz-server/src/config/schema.ts";
import { type Identity, IdentityEnricher } from "../../authz-server/src/identity/identity-enricher.ts";
import { JwksCache } from "../../authz-server/src/identity/jwks-cache.ts";
import { extractToken, JwtVerifier } from "../../authz-server/src/identity/jwt-verifier.ts";
import { parseSpiffeId } from "../../authz-server/src/identity/spiffe.ts";
import { fixture } from "./helpers/fixtures.ts";

type Key = Awaited<ReturnType<typeof generateKeyPair>>;
let server: Server;
let jwksUrl = "";
let published: JWK[] = [];
let up = true;
let fetches = 0;
let rsa: Key;
let rsa2: Key;
let ec: Key;

const T0 = Date.parse("2026-11-28T00:00:00Z");

beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  rsa2 = await generateKeyPair("RS256", { extractable: true });
  ec = await generateKeyPair("ES256", { extractable: true });
  const jwk = async (k: Key, kid: string, alg: string) => ({ ...(await exportJWK(k.publicKey)), kid, alg });
  published = [await jwk(rsa, "rsa-1", "RS256"), await jwk(ec, "ec-1", "ES256")];
  // rsa2 is published later (rotation).
  (globalThis as { rsa2Jwk?: JWK }).rsa2Jwk = await jwk(rsa2, "rsa-2", "RS256");
  server = createServer((_req, res) => {
    fetches++;
    if (!up) return void res.writeHead(503).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const config = (): JwtConfig => ({
  header: "authorization",
  cookie: "session",
  jwksUrl,
  issuer: "https://idp.test",
  audience: ["meshward"],
  algorithms: ["RS256", "ES256"],
  clockSkewSec: 30,
  jwksCacheMs: 60_000,
  jwksMinRefetchMs: 10_000,
  jwksTimeoutMs: 1000,
  jwksMaxBytes: 256 * 1024,
});

function sign(key: Key, kid: string, alg: string, claims: Record<string, unknown> = {}, nowSec = T0 / 1000) {
  const payload = { sub: "alice", iss: "https://idp.test", aud: "meshward", iat: nowSec, exp: nowSec + 300, ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg, kid }).sign(key.privateKey);
}

function setup(now: { ms: number }) {
  const cache = new JwksCache({
    url: jwksUrl,
    cacheMs: 60_000,
    minRefetchMs: 10_000,
    timeoutMs: 1000,
    maxBytes: 256 * 1024,
    nowMs: () => now.ms,
  });
  return { cache, verifier: new JwtVerifier(config(), cache) };
}

describe("JwtVerifier", () => {
  it("verifies RS256 and ES256 tokens, checks iss/aud/exp/nbf with skew", async () => {
    const now = { ms: T0 };
    const { verifier } = setup(now);
    expect(await verifier.verify(await sign(rsa, "rsa-1", "RS256"), now.ms)).toMatchObject({
      ok: true,
      payload: { sub: "alice" },
    });
    expect(await verifier.verify(await sign(ec, "ec-1", "ES256"), now.ms)).toMatchObject({ ok: true });
    expect(await verifier.verify(await sign(rsa, "rsa-1", "RS256", { iss: "https://evil" }), now.ms)).toEqual({
      ok: false,
      reason: "claim_invalid:iss",
    });
    expect(await verifier.verify(await sign(rsa, "rsa-1", "RS256", { aud: "other" }), now.ms)).toEqual({
      ok: false,
      reason: "claim_invalid:aud",
    });
    const token = await sign(rsa, "rsa-1", "RS256");
    expect(await verifier.verify(token, T0 + 320_000)).toMatchObject({ ok: true }); // exp + 20 s: within skew
    expect(await verifier.verify(token, T0 + 340_000)).toEqual({ ok: false, reason: "expired" });
    const future = await sign(rsa, "rsa-1", "RS256", { nbf: T0 / 1000 + 60 });
    expect(await verifier.verify(future, now.ms)).toEqual({ ok: false, reason: "claim_invalid:nbf" });
  });

  it("refuses alg none, HS256 signed with the public key, and algorithms off the allowlist", async () => {
    const now = { ms: T0 };
    const { verifier } = setup(now);
    const body = Buffer.from(
      JSON.stringify({ sub: "alice", iss: "https://idp.test", aud: "meshward", exp: T0 / 1000 + 60 }),
    ).toString("base64url");
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${body}.`;
    expect((await verifier.verify(none, now.ms)).ok).toBe(false);
    const publicJwk = JSON.stringify(published[0]);
    const hs = await new SignJWT({ sub: "alice" })
      .setProtectedHeader({ alg: "HS256", kid: "rsa-1" })
      .setIssuer("https://idp.test")
      .setAudience("meshward")
      .setExpirationTime(T0 / 1000 + 60)
      .sign(new TextEncoder().encode(publicJwk));
    expect(await verifier.verify(hs, now.ms)).toEqual({ ok: false, reason: "algorithm_not_allowed" });
    const ps = await generateKeyPair("PS256");
    const psToken = await new SignJWT({ sub: "a" })
      .setProtectedHeader({ alg: "PS256", kid: "rsa-1" })
      .setExpirationTime(T0 / 1000 + 60)
      .sign(ps.privateKey);
    expect(await verifier.verify(psToken, now.ms)).toEqual({ ok: false, reason: "algorithm_not_allowed" });
  });
});

describe("JwksCache", () => {
  it("caches keys, refetches an unknown kid at most once per interval, keeps keys through an outage", async () => {
    const now = { ms: T0 };
    const { verifier } = setup(now);
    const start = fetches;
    await verifier.verify(await sign(rsa, "rsa-1", "RS256"), now.ms);
    await verifier.verify(await sign(rsa, "rsa-1", "RS256"), now.ms);
    expect(fetches - start).toBe(1);
    // A key the IdP has not published yet: one refetch, then none for 10 s however many tokens come.
    now.ms += 10_000;
    const rotated = await sign(rsa2, "rsa-2", "RS256");
    expect(await verifier.verify(rotated, now.ms)).toEqual({ ok: false, reason: "unknown_key" });
    expect(fetches - start).toBe(2);
    for (let i = 0; i < 5; i++) await verifier.verify(await sign(rsa2, `forged-${i}`, "RS256"), now.ms);
    expect(fetches - start).toBe(2);
    // The IdP publishes the new key; after the interval the unknown kid triggers a refetch.
    published = [...published, (globalThis as { rsa2Jwk?: JWK }).rsa2Jwk as JWK];
    now.ms += 10_000;
    expect(await verifier.verify(await sign(rsa2, "rsa-2", "RS256", {}, now.ms / 1000), now.ms)).toMatchObject({
      ok: true,
    });
    expect(fetches - start).toBe(3);
    // Outage after the cache expired: the refresh (in the background) fails, the last good keys
    // keep verifying.
    up = false;
    now.ms += 120_000;
    expect(await verifier.verify(await sign(rsa, "rsa-1", "RS256", {}, now.ms / 1000), now.ms)).toMatchObject({
      ok: true,
    });
    await vi.waitFor(() => expect(fetches - start).toBe(4));
    expect(await verifier.verify(await sign(rsa, "rsa-1", "RS256", {}, now.ms / 1000), now.ms)).toMatchObject({
      ok: true,
    });
    up = true;
  });

  it("reports jwks_unavailable when no keys were ever fetched", async () => {
    up = false;
    try {
      const now = { ms: T0 };
      const { verifier, cache } = setup(now);
      expect(await verifier.verify(await sign(rsa, "rsa-1", "RS256"), now.ms)).toEqual({
        ok: false,
        reason: "jwks_unavailable",
      });
      expect(cache.status().lastError).toMatch(/HTTP 503/);
    } finally {
      up = true;
    }
  });
});

describe("IdentityEnricher", () => {
  const context = (headers: Record<string, string>, principal = ""): EnrichContext => {
    const request = fixture("post-orders-json");
    if (request.attributes?.request?.http) request.attributes.request.http.headers = headers;
    if (request.attributes && principal) request.attributes.source = { principal } as never;
    return { request, input: {}, meshward: {}, nowMs: T0, signal: new AbortController().signal };
  };

  it("puts verified claims in input.meshward.identity and sets x-meshward-subject", async () => {
    const now = { ms: T0 };
    const { cache, verifier } = setup(now);
    const enricher = new IdentityEnricher({
      spiffe: true,
      jwt: { config: config(), verifier, jwksStatus: () => cache.status() },
    });
    const ctx = context(
      { authorization: `Bearer ${await sign(rsa, "rsa-1", "RS256", { role: "admin" })}` },
      "spiffe://cluster.local/ns/prod/sa/web",
    );
    const result = await enricher.enrich(ctx);
    expect(ctx.meshward.identity).toMatchObject({
      subject: "alice",
      issuer: "https://idp.test",
      audience: ["meshward"],
      claims: { role: "admin" },
      spiffe_id: "spiffe://cluster.local/ns/prod/sa/web",
      authenticated: true,
      method: "jwt",
    });
    expect(result.upstreamHeaders).toEqual([["x-meshward-subject", "alice"]]);
    // For Envoy's rate-limit descriptors (dynamic metadata of the ext_authz answer).
    expect(result.dynamicMetadata).toEqual({ principal_type: "user", subject: "alice" });
  });

  it("falls back to the SPIFFE ID, reads cookies, and reports invalid tokens without a subject", async () => {
    const now = { ms: T0 };
    const { cache, verifier } = setup(now);
    const enricher = new IdentityEnricher({
      spiffe: true,
      jwt: { config: config(), verifier, jwksStatus: () => cache.status() },
    });
    const mtls = context({}, "spiffe://cluster.local/ns/prod/sa/web");
    const peer = await enricher.enrich(mtls);
    expect(peer.upstreamHeaders).toEqual([["x-meshward-subject", "spiffe://cluster.local/ns/prod/sa/web"]]);
    expect(peer.dynamicMetadata).toEqual({
      principal_type: "service",
      subject: "spiffe://cluster.local/ns/prod/sa/web",
    });
    expect((mtls.meshward.identity as Identity).method).toBe("mtls");
    const cookie = context({ cookie: `a=1; session=${await sign(ec, "ec-1", "ES256")}` });
    await enricher.enrich(cookie);
    expect((cookie.meshward.identity as Identity).subject).toBe("alice");
    const bad = context({ authorization: "Bearer not.a.jwt" }, "spiffe://cluster.local/ns/prod/sa/web");
    // A failed token leaves the request anonymous, even with an mTLS peer: no subject to limit by.
    expect(await enricher.enrich(bad)).toEqual({ dynamicMetadata: { principal_type: "anonymous" } });
    expect(bad.meshward.identity).toMatchObject({
      authenticated: false,
      subject: null,
      error: "malformed",
      method: "none",
    });
  });

  it("extracts tokens only from the configured places", () => {
    expect(extractToken({ authorization: "Bearer abc" }, { header: "authorization" })).toBe("abc");
    expect(extractToken({ authorization: "Basic abc" }, { header: "authorization" })).toBeUndefined();
    expect(extractToken({ "x-token": "abc" }, { header: "x-token" })).toBe("abc");
  });

  it("parses SPIFFE IDs strictly", () => {
    expect(parseSpiffeId("spiffe://cluster.local/ns/prod/sa/web")).toEqual({
      id: "spiffe://cluster.local/ns/prod/sa/web",
      trustDomain: "cluster.local",
      path: "/ns/prod/sa/web",
    });
    for (const bad of [
      "spiffe://Cluster/x",
      "spiffe://td/../x",
      "spiffe://td/a//b",
      "https://td/x",
      "spiffe://td/x?y",
    ]) {
      expect(parseSpiffeId(bad)).toBeUndefined();
    }
  });
});
