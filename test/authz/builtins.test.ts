// Builtins the OPA Wasm SDK lacks, exercised through real policies built by the OPA CLI, and the
// load-time refusal of a bundle that needs one Meshward does not provide.
import { generateKeyPairSync } from "node:crypto";
import { exportJWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { ActivePolicy } from "../../authz-server/src/policy/active-policy.ts";
import { parseRfc3339Ns } from "../../authz-server/src/policy/builtins/index.ts";
import { decodeVerify, jwtBuiltins } from "../../authz-server/src/policy/builtins/jwt.ts";
import { buildBundle, readBundle } from "./helpers/opa-bundle.ts";

const request = (token: string) => ({
  attributes: { request: { http: { headers: { authorization: `Bearer ${token}` } } } },
});

describe("io.jwt.verify_* through a Wasm policy", () => {
  for (const [alg, keyType, options] of [
    ["RS256", "rsa", { modulusLength: 2048 }],
    ["PS256", "rsa", { modulusLength: 2048 }],
    ["ES256", "ec", { namedCurve: "P-256" }],
  ] as const) {
    it(`verifies ${alg} with a PEM key and with a JWKS; rejects other keys and tampering`, async () => {
      const { privateKey, publicKey } = generateKeyPairSync(keyType as "rsa", options as { modulusLength: number });
      const other = generateKeyPairSync(keyType as "rsa", options as { modulusLength: number });
      const token = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg }).sign(privateKey);
      const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
      const jwks = JSON.stringify({ keys: [await exportJWK(publicKey)] });
      for (const key of [pem, jwks]) {
        const policy = new ActivePolicy();
        const path = buildBundle("policy/testdata/jwt-verify", { entrypoints: ["jwt/allow"], data: { jwt: { key } } });
        const evaluator = await policy.activateFromBytes(readBundle(path), path);
        expect(evaluator.evaluate(request(token), "jwt/allow")).toBe(true);
        const [h, , s] = token.split(".");
        const forged = `${h}.${Buffer.from(JSON.stringify({ sub: "alice", admin: true })).toString("base64url")}.${s}`;
        expect(evaluator.evaluate(request(forged), "jwt/allow")).toBe(false);
      }
      const wrongKey = other.publicKey.export({ type: "spki", format: "pem" }).toString();
      expect(jwtBuiltins()[`io.jwt.verify_${alg.toLowerCase()}`]?.(token, wrongKey)).toBe(false);
    });
  }

  it("never accepts alg none or an HS token checked as RS (algorithm confusion)", async () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    const hs = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "HS256" }).sign(Buffer.from(pem));
    expect(jwtBuiltins()["io.jwt.verify_rs256"]?.(hs, pem)).toBe(false);
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"a"}').toString("base64url")}.`;
    expect(jwtBuiltins()["io.jwt.verify_rs256"]?.(none, pem)).toBe(false);
    expect(jwtBuiltins()["io.jwt.verify_hs256"]?.(hs, pem)).toBe(true);
  });

  it("parses RFC 3339 to nanoseconds", () => {
    expect(parseRfc3339Ns("1970-01-01T00:00:01.000000002Z")).toBe(1_000_000_002n);
    expect(parseRfc3339Ns("2026-11-28T02:00:00+01:00")).toBe(BigInt(Date.parse("2026-11-28T01:00:00Z")) * 1_000_000n);
    expect(() => parseRfc3339Ns("yesterday")).toThrow();
  });
});

describe("bundle load refuses missing builtins", () => {
  it("names the builtin and keeps the previous bundle active", async () => {
    const policy = new ActivePolicy();
    const good = buildBundle("policy/testdata/jwt-verify", {
      entrypoints: ["jwt/allow"],
      data: { jwt: { key: "" } },
      revision: "good",
    });
    await policy.activateFromBytes(readBundle(good), good);
    const bad = buildBundle("policy/testdata/needs-builtin", { entrypoints: ["needs/allow"] });
    await expect(policy.activateFromBytes(readBundle(bad), bad)).rejects.toThrow(/http\.send/);
    expect(policy.bundleStatus.revision).toBe("good");
    expect(policy.bundleStatus.lastError).toMatch(/does not provide: http\.send \(http\.send: .*blocking.*enricher/);
  });

  it("time.now_ns reads the injected clock (the opa-envoy test policy checks exp)", async () => {
    const path = buildBundle("policy/testdata/opa-envoy", { entrypoints: ["envoy/authz/allow"] });
    const late = new ActivePolicy({ nowMs: () => Date.parse("2101-01-01T00:00:00Z") });
    const evaluator = await late.activateFromBytes(readBundle(path), path);
    const token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln";
    const input = {
      attributes: { request: { http: { method: "GET", headers: { authorization: `Bearer ${token}` } } } },
      parsed_path: ["people", "alice"],
    };
    expect((evaluator.evaluate(input, "envoy/authz/allow") as { allowed: boolean }).allowed).toBe(false);
  });
});

describe("io.jwt.decode_verify", () => {
  it("checks signature, alg, iss, aud, exp and nbf as OPA does", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const cert = publicKey.export({ type: "spki", format: "pem" }).toString();
    const now = 1_800_000_000;
    const token = await new SignJWT({ sub: "alice", iss: "idp", aud: "api", exp: now + 60, nbf: now - 60 })
      .setProtectedHeader({ alg: "ES256" })
      .sign(privateKey);
    const at = (sec: number) => sec * 1e9;
    const ok = decodeVerify(token, { cert, iss: "idp", aud: "api", time: at(now) }, 0) as [
      boolean,
      unknown,
      { sub: string },
    ];
    expect(ok[0]).toBe(true);
    expect(ok[2].sub).toBe("alice");
    const invalid = [false, {}, {}];
    expect(decodeVerify(token, { cert, aud: "api", time: at(now + 61) }, 0)).toEqual(invalid); // expired
    expect(decodeVerify(token, { cert, aud: "api", time: at(now - 61) }, 0)).toEqual(invalid); // not yet valid
    expect(decodeVerify(token, { cert, iss: "other", aud: "api", time: at(now) }, 0)).toEqual(invalid);
    expect(decodeVerify(token, { cert, time: at(now) }, 0)).toEqual(invalid); // token has aud, none given
    expect(decodeVerify(token, { cert, aud: "api", alg: "RS256", time: at(now) }, 0)).toEqual(invalid);
    expect(decodeVerify(token, { secret: cert, aud: "api", time: at(now) }, 0)).toEqual(invalid); // HS/ES confusion
    expect(() => decodeVerify(token, { aud: "api" }, 0)).toThrow(/exactly one of cert or secret/);
    // Default time is the evaluation clock.
    expect((decodeVerify(token, { cert, aud: "api" }, at(now)) as unknown[])[0]).toBe(true);
  });
});
