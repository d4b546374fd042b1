// Malformed and hostile JWTs for the authz fuzzer. Each kind names the identity error the verifier
// must report (`input.meshward.identity.error`), so a run checks not only "denied" but "denied for
// the right reason". Signing is real (jose); keys come from the harness.
import { webcrypto } from "node:crypto";
import { exportJWK, exportSPKI, SignJWT } from "jose";
import { HOSTILE_CHARS, type Random } from "../random.ts";
import { AUDIENCE, ISSUER, type SigningKeys } from "./harness.ts";

export const TOKEN_KINDS = [
  "alg-none",
  "alg-none-signed",
  "hs256-public-jwk",
  "hs256-public-pem",
  "unknown-kid",
  "attacker-key-known-kid",
  "tampered-payload",
  "signature-stripped",
  "expired",
  "future-nbf",
  "no-exp",
  "wrong-issuer",
  "wrong-audience",
  "bad-base64",
  "header-not-json",
  "payload-not-object",
  "two-segments",
  "five-segments",
  "oversized",
  "garbage",
  "alg-key-mismatch",
  "unknown-crit",
] as const;

export type TokenKind = (typeof TOKEN_KINDS)[number];

/** Identity errors each kind may legitimately produce (jose reports some families two ways). */
export const EXPECTED_REASONS: Record<TokenKind, readonly string[]> = {
  "alg-none": ["algorithm_not_allowed", "malformed"],
  "alg-none-signed": ["algorithm_not_allowed", "malformed"],
  "hs256-public-jwk": ["algorithm_not_allowed"],
  "hs256-public-pem": ["algorithm_not_allowed"],
  "unknown-kid": ["unknown_key"],
  "attacker-key-known-kid": ["bad_signature"],
  "tampered-payload": ["bad_signature"],
  "signature-stripped": ["malformed", "bad_signature"],
  expired: ["expired"],
  "future-nbf": ["claim_invalid:nbf"],
  "no-exp": ["claim_invalid:exp"],
  "wrong-issuer": ["claim_invalid:iss"],
  "wrong-audience": ["claim_invalid:aud"],
  "bad-base64": ["malformed", "bad_signature"],
  "header-not-json": ["malformed"],
  "payload-not-object": ["malformed", "bad_signature"],
  "two-segments": ["malformed"],
  "five-segments": ["malformed"],
  oversized: ["oversized"],
  // Whitespace or CR/LF inside cuts the bearer value: no token at all, so "unauthenticated".
  garbage: ["malformed", "unauthenticated"],
  "alg-key-mismatch": ["bad_signature", "unknown_key", "invalid", "malformed"],
  // jose: JOSENotSupported for an unrecognised critical header, which the verifier codes "invalid".
  "unknown-crit": ["malformed", "invalid"],
};

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

function claims(nowSec: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: "alice", iss: ISSUER, aud: AUDIENCE, iat: nowSec, exp: nowSec + 300, ...extra };
}

/** A token the server must accept (the positive control: proves a run can see an allow). */
export function validToken(keys: SigningKeys, nowSec: number, useEc = false): Promise<string> {
  const [key, kid, alg] = useEc ? [keys.ec, "ec-1", "ES256"] : [keys.rsa, "rsa-1", "RS256"];
  return new SignJWT(claims(nowSec)).setProtectedHeader({ alg, kid, typ: "JWT" }).sign(key.privateKey);
}

function corrupt(rand: Random, token: string): string {
  const chars = [...token];
  const n = rand.int(1, 4);
  for (let i = 0; i < n; i++) chars[rand.int(0, chars.length - 1)] = rand.pick([...HOSTILE_CHARS, "!", "*", "="]);
  return chars.join("");
}

export async function hostileToken(kind: TokenKind, rand: Random, keys: SigningKeys, nowSec: number): Promise<string> {
  const rsaSign = (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: "rsa-1", ...header }).sign(keys.rsa.privateKey);
  switch (kind) {
    case "alg-none":
      return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims(nowSec))}.`;
    case "alg-none-signed":
      return `${b64({ alg: rand.pick(["none", "None", "NONE", "nOnE"]), kid: "rsa-1" })}.${b64(claims(nowSec))}.${Buffer.from(rand.bytes(32)).toString("base64url")}`;
    case "hs256-public-jwk": {
      const secret = new TextEncoder().encode(JSON.stringify(await exportJWK(keys.rsa.publicKey)));
      return new SignJWT(claims(nowSec)).setProtectedHeader({ alg: "HS256", kid: "rsa-1" }).sign(secret);
    }
    case "hs256-public-pem": {
      const secret = new TextEncoder().encode(await exportSPKI(keys.rsa.publicKey));
      return new SignJWT(claims(nowSec)).setProtectedHeader({ alg: "HS256", kid: "rsa-1" }).sign(secret);
    }
    case "unknown-kid":
      return new SignJWT(claims(nowSec))
        .setProtectedHeader({ alg: "RS256", kid: `kid-${rand.u32().toString(16)}` })
        .sign(keys.attacker.privateKey);
    case "attacker-key-known-kid":
      return new SignJWT(claims(nowSec, { sub: "admin" }))
        .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
        .sign(keys.attacker.privateKey);
    case "tampered-payload": {
      const [h, , s] = (await rsaSign(claims(nowSec))).split(".");
      return `${h}.${b64(claims(nowSec, { sub: "admin", role: "root" }))}.${s}`;
    }
    case "signature-stripped": {
      const [h, p] = (await rsaSign(claims(nowSec))).split(".");
      return rand.chance(0.5) ? `${h}.${p}.` : `${h}.${p}.${b64("x")}`;
    }
    case "expired":
      return rsaSign(claims(nowSec, { iat: nowSec - 7200, exp: nowSec - rand.int(31, 86_400) }));
    case "future-nbf":
      return rsaSign(claims(nowSec, { nbf: nowSec + rand.int(31, 86_400) }));
    case "no-exp": {
      const c = claims(nowSec);
      delete c.exp;
      return rsaSign(c);
    }
    case "wrong-issuer":
      return rsaSign(claims(nowSec, { iss: rand.pick(["https://evil.test", `${ISSUER}/`, ISSUER.toUpperCase(), ""]) }));
    case "wrong-audience":
      return rsaSign(claims(nowSec, { aud: rand.pick(["other", ["x", "y"], `${AUDIENCE} `, []]) }));
    case "bad-base64":
      return corrupt(rand, await rsaSign(claims(nowSec)));
    case "header-not-json":
      return `${b64(rand.pick(["{", "null", "[]", '{"alg":"RS256"', "\u0000"]))}.${b64(claims(nowSec))}.${b64("sig")}`;
    case "payload-not-object":
      return rsaSign(claims(nowSec)).then((t) => {
        const [h, , s] = t.split(".");
        return `${h}.${b64(rand.pick(["[]", "1", '"alice"', "null", "{"]))}.${s}`;
      });
    case "two-segments":
      return (await rsaSign(claims(nowSec))).split(".").slice(0, 2).join(".");
    case "five-segments":
      return `${await rsaSign(claims(nowSec))}.${b64("x")}.${b64("y")}`;
    case "oversized":
      // Validly signed by the IdP's key: only a size limit stops it.
      return rsaSign(claims(nowSec, { pad: "A".repeat(rand.int(40_000, 300_000)) }));
    case "garbage":
      return rand.text(`${HOSTILE_CHARS}abcXYZ0123.-_`, rand.size(2000) + 1).replace(/^\s+|\s+$/g, "") || "x";
    case "alg-key-mismatch":
      // ES256 in the header, the RSA key's kid: the JWK's alg does not match the token's.
      return new SignJWT(claims(nowSec)).setProtectedHeader({ alg: "ES256", kid: "rsa-1" }).sign(keys.ec.privateKey);
    case "unknown-crit": {
      // jose refuses to sign an unknown critical header, so sign the JWS by hand.
      const input = `${b64({ alg: "RS256", kid: "rsa-1", crit: ["x-must-understand"], "x-must-understand": true })}.${b64(claims(nowSec))}`;
      const signature = await webcrypto.subtle.sign(
        "RSASSA-PKCS1-v1_5",
        keys.rsa.privateKey as webcrypto.CryptoKey,
        new TextEncoder().encode(input),
      );
      return `${input}.${Buffer.from(signature).toString("base64url")}`;
    }
  }
}
