// Regressions for the JWKS findings of the hostile review:
//   - with the IdP answering after 5 s, valid tokens with cached keys were denied MW_DEADLINE once
//     the cache expired (the check waited for the refresh);
//   - a 302 from the JWKS URL to a rogue JWKS was followed, and a token signed by the rogue key was
//     allowed;
//   - the JWKS body had no size cap.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JwtConfig } from "../../authz-server/src/config/schema.ts";
import { CheckRequestSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { JwksCache } from "../../authz-server/src/identity/jwks-cache.ts";
import { JwtVerifier } from "../../authz-server/src/identity/jwt-verifier.ts";
import {
  type AuthzHarness,
  makeSigningKeys,
  type SigningKeys,
  startAuthzHarness,
} from "../reliability/authz/harness.ts";
import { validToken } from "../reliability/authz/tokens.ts";

describe("an IdP answering slowly after the cache expired", () => {
  const now = { ms: Date.parse("2026-11-28T03:00:00Z") };
  let keys: SigningKeys;
  let harness: AuthzHarness;

  beforeAll(async () => {
    keys = await makeSigningKeys();
    harness = await startAuthzHarness({
      keys,
      nowMs: () => now.ms,
      jwksCacheMs: 1000,
      jwksMinRefetchMs: 0,
      jwksTimeoutMs: 10_000,
      checkTimeoutMs: 1000,
    });
  });
  afterAll(() => harness?.close());

  const check = (token: string) =>
    harness.server.checks.check(
      create(CheckRequestSchema, {
        attributes: {
          request: { http: { method: "GET", path: "/api/orders", headers: { authorization: `Bearer ${token}` } } },
        },
      }),
    );

  it("answers checks with cached keys at once while the refresh hangs for 5 s", async () => {
    expect((await check(await validToken(keys, now.ms / 1000))).record.allowed).toBe(true);
    harness.jwks.mode = "slow";
    harness.jwks.slowMs = 5000;
    const fetchesBefore = harness.jwks.fetches;
    for (let i = 0; i < 5; i++) {
      now.ms += 2000; // past jwksCacheMs every time
      const token = await validToken(keys, now.ms / 1000, true);
      const started = performance.now();
      const { record } = await check(token);
      expect(record).toMatchObject({ allowed: true });
      expect(performance.now() - started).toBeLessThan(500);
    }
    // One refresh was started and is still hanging; no check waited for it, none started another.
    expect(harness.jwks.fetches - fetchesBefore).toBe(1);
    harness.jwks.mode = "up";
  });
});

describe("JWKS fetch bounds", () => {
  const T0 = Date.parse("2026-11-28T03:00:00Z");
  let rogue: Server;
  let idp: Server;
  let idpUrl = "";
  let idpBehaviour: "redirect" | "huge" | "proto" | "good" = "redirect";
  let attackerToken = "";
  let idpToken = "";

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  beforeAll(async () => {
    const attacker = await generateKeyPair("RS256", { extractable: true });
    const real = await generateKeyPair("RS256", { extractable: true });
    const attackerJwks = JSON.stringify({
      keys: [{ ...(await exportJWK(attacker.publicKey)), kid: "k1", alg: "RS256" }],
    });
    const realJwks = JSON.stringify({ keys: [{ ...(await exportJWK(real.publicKey)), kid: "k1", alg: "RS256" }] });
    rogue = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(attackerJwks));
    const rogueUrl = await listen(rogue);
    idp = createServer((_req, res) => {
      if (idpBehaviour === "redirect") return void res.writeHead(302, { location: `${rogueUrl}/jwks.json` }).end();
      if (idpBehaviour === "huge")
        return void res.writeHead(200).end(JSON.stringify({ keys: [], pad: "x".repeat(2 * 1024 * 1024) }));
      if (idpBehaviour === "proto")
        return void res.writeHead(200).end('{"keys": [], "__proto__": {"polluted": "yes"}}');
      res.writeHead(200, { "content-type": "application/json" }).end(realJwks);
    });
    idpUrl = `${await listen(idp)}/jwks.json`;
    const sign = (key: Parameters<SignJWT["sign"]>[0]) =>
      new SignJWT({ sub: "mallory" })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer("https://idp.test")
        .setAudience("meshward")
        .setExpirationTime(T0 / 1000 + 300)
        .sign(key);
    attackerToken = await sign(attacker.privateKey);
    idpToken = await sign(real.privateKey);
  });
  afterAll(async () => {
    for (const server of [rogue, idp]) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const config: JwtConfig = {
    header: "authorization",
    jwksUrl: "",
    issuer: "https://idp.test",
    audience: ["meshward"],
    algorithms: ["RS256"],
    clockSkewSec: 0,
    jwksCacheMs: 60_000,
    jwksMinRefetchMs: 0,
    jwksTimeoutMs: 2000,
    jwksMaxBytes: 256 * 1024,
  };
  const verifier = () => {
    const cache = new JwksCache({
      url: idpUrl,
      cacheMs: 60_000,
      minRefetchMs: 0,
      timeoutMs: 2000,
      maxBytes: 256 * 1024,
      nowMs: () => T0,
    });
    return { cache, verifier: new JwtVerifier({ ...config, jwksUrl: idpUrl }, cache) };
  };

  it("does not follow a redirect to a rogue JWKS: the rogue key's token is refused", async () => {
    idpBehaviour = "redirect";
    const { cache, verifier: v } = verifier();
    expect(await v.verify(attackerToken, T0)).toEqual({ ok: false, reason: "jwks_unavailable" });
    expect(cache.status().lastError).toMatch(/HTTP 302: redirects are not followed/);
  });

  it("refuses a JWKS above the size cap and one with a prototype key", async () => {
    for (const [behaviour, message] of [
      ["huge", /larger than 262144 bytes/],
      ["proto", /"__proto__" is not allowed/],
    ] as const) {
      idpBehaviour = behaviour;
      const { cache, verifier: v } = verifier();
      expect(await v.verify(idpToken, T0)).toEqual({ ok: false, reason: "jwks_unavailable" });
      expect(cache.status().lastError).toMatch(message);
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("accepts the IdP's own JWKS", async () => {
    idpBehaviour = "good";
    expect(await verifier().verifier.verify(idpToken, T0)).toMatchObject({ ok: true });
  });
});
