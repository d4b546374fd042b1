// io.jwt.encode_sign and io.jwt.encode_sign_raw (topdown/tokens.go): a compact JWS over the given
// header and payload bytes, signed with the first key of a JWK or JWK Set. encode_sign marshals its
// three objects as Go's encoding/json does (sorted keys, HTML-safe escapes), so its output is
// byte-identical to OPA's for the deterministic algorithms (HS*, RS*, EdDSA); PS* and ES* are
// randomised in both. Rules kept from OPA: `alg` must be a string naming one of the 13 JWS
// algorithms OPA verifies; a payload must be JSON unless the header's `typ` is a string other than
// "JWT"; the key's type must suit the algorithm family (no check that an EC key's curve matches
// ES256/384/512, as in OPA). Headers are not otherwise validated (OPA's `crit` checks are on decode).
import { constants, createHmac, sign } from "node:crypto";
import type { RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { goJson } from "./go-json.ts";
import { firstJwk, type Jwk, jwkPrivateKey, jwkSecret } from "./jwk.ts";
import { fail, parseJsonOrFail, str } from "./operands.ts";

const HASH: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };

/** A string member of a JSON object (fastjson's Get: the first occurrence; a string or nothing). */
function headerString(header: unknown, name: string): string | undefined {
  if (header === null || typeof header !== "object" || Array.isArray(header)) return undefined;
  const value = (header as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function signature(alg: string, jwk: Jwk, data: Buffer): Buffer {
  const family = alg.slice(0, 2);
  const bits = alg.slice(2);
  switch (family) {
    case "HS": {
      return createHmac(HASH[bits] as string, jwkSecret(jwk))
        .update(data)
        .digest();
    }
    case "RS":
      return sign(HASH[bits] as string, data, jwkPrivateKey(jwk, "RSA"));
    case "PS":
      return sign(HASH[bits] as string, data, {
        key: jwkPrivateKey(jwk, "RSA"),
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    case "ES":
      return sign(HASH[bits] as string, data, { key: jwkPrivateKey(jwk, "EC"), dsaEncoding: "ieee-p1363" });
    default: {
      const key = jwkPrivateKey(jwk, "OKP");
      if (key.asymmetricKeyType !== "ed25519") fail("an Ed25519 key is required for EdDSA");
      return sign(null, data, key);
    }
  }
}

const ALGORITHMS = new Set([
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "HS256",
  "HS384",
  "HS512",
  "EdDSA",
]);

/** The compact JWS of `headerText` and `payloadText` signed with the first key of `jwkText`. */
export function encodeSign(headerText: string, payloadText: string, jwkText: string): string {
  const jwk = firstJwk(jwkText);
  const header = parseJsonOrFail(headerText, "missing or invalid 'alg' header");
  const alg = headerString(header, "alg");
  if (alg === undefined) fail("missing or invalid 'alg' header");
  if (!ALGORITHMS.has(alg)) fail(`unknown JWS algorithm: ${alg}`);
  const typ = headerString(header, "typ");
  if ((typ === undefined || typ === "JWT") && !isJson(payloadText)) fail("type is JWT but payload is not JSON");
  const signingInput = `${Buffer.from(headerText).toString("base64url")}.${Buffer.from(payloadText).toString("base64url")}`;
  return `${signingInput}.${signature(alg, jwk, Buffer.from(signingInput)).toString("base64url")}`;
}

export const jwtSignBuiltins: Record<string, Builtin> = {
  "io.jwt.encode_sign": ([header, payload, key]) =>
    encodeSign(goJson(header as RegoValue), goJson(payload as RegoValue), goJson(key as RegoValue)),
  "io.jwt.encode_sign_raw": ([header, payload, key]) =>
    encodeSign(
      str(header, "io.jwt.encode_sign_raw"),
      str(payload, "io.jwt.encode_sign_raw"),
      str(key, "io.jwt.encode_sign_raw"),
    ),
};
