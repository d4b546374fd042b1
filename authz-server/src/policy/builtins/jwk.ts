// JSON Web Keys as lestrrat-go/jwx v3 reads them (OPA's io.jwt.encode_sign keys): one JWK object
// or a JWK Set ({"keys": [...]}), each key checked the way jwx's unmarshalling and Validate do:
// a known `kty`; the common members typed (`alg` a registered JWA name, `kid`/`use`/`x5t`/
// `x5t#S256`/`x5u` strings, `key_ops` an array of the eight RFC 7517 operations, `x5c` an array
// of strings); the binary members base64 in any of the four alphabets jwx guesses between; and the
// members each type needs present (`k` non-empty; RSA `n`, `e`; EC `crv`, `x`, `y`; OKP `crv`, `x`).
// Node's key import is the final judge of the numbers themselves.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { fail, parseJsonOrFail } from "./operands.ts";

export type Jwk = Readonly<Record<string, unknown>>;

const JWA_ALGORITHMS = new Set(
  (
    "ES256 ES256K ES384 ES512 Ed25519 Ed448 EdDSA HS256 HS384 HS512 PS256 PS384 PS512 RS256 RS384 RS512 none " +
    "A128GCMKW A128KW A192GCMKW A192KW A256GCMKW A256KW dir ECDH-ES ECDH-ES+A128KW ECDH-ES+A192KW ECDH-ES+A256KW " +
    "PBES2-HS256+A128KW PBES2-HS384+A192KW PBES2-HS512+A256KW RSA1_5 RSA-OAEP RSA-OAEP-256 RSA-OAEP-384 RSA-OAEP-512 " +
    "A128CBC-HS256 A192CBC-HS384 A256CBC-HS512 A128GCM A192GCM A256GCM"
  ).split(" "),
);
const KEY_OPERATIONS = new Set([
  "sign",
  "verify",
  "encrypt",
  "decrypt",
  "wrapKey",
  "unwrapKey",
  "deriveKey",
  "deriveBits",
]);
const STRING_MEMBERS = ["kid", "use", "x5t", "x5t#S256", "x5u"];
const BINARY_MEMBERS: Record<string, string[]> = {
  oct: ["k"],
  RSA: ["n", "e", "d", "p", "q", "dp", "dq", "qi"],
  EC: ["x", "y", "d"],
  OKP: ["x", "d"],
};
const REQUIRED: Record<string, string[]> = { oct: ["k"], RSA: ["n", "e"], EC: ["crv", "x", "y"], OKP: ["crv", "x"] };

/** Base64 as jwx decodes it: URL alphabet if '-' or '_' appear, padded if it ends with '='. */
export function jwxBase64(text: string): Buffer {
  const url = /[-_]/.test(text);
  const padded = text.endsWith("=");
  const alphabet = url ? /^[A-Za-z0-9\-_]*={0,2}$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  const body = text.replace(/=+$/, "");
  if (!alphabet.test(text) || body.length % 4 === 1 || (padded && text.length % 4 !== 0)) {
    return fail("failed to decode source: illegal base64 data");
  }
  return Buffer.from(body, url ? "base64url" : "base64");
}

function checkMembers(jwk: Jwk): void {
  const kty = jwk.kty;
  if (typeof kty !== "string" || !(kty in REQUIRED)) fail(`invalid key type: ${JSON.stringify(kty)}`);
  if (jwk.alg !== undefined && (typeof jwk.alg !== "string" || !JWA_ALGORITHMS.has(jwk.alg))) {
    fail("failed to decode value for key alg");
  }
  for (const name of STRING_MEMBERS) {
    if (jwk[name] !== undefined && typeof jwk[name] !== "string") fail(`failed to decode value for key ${name}`);
  }
  const ops = jwk.key_ops;
  if (ops !== undefined && (!Array.isArray(ops) || !ops.every((op) => KEY_OPERATIONS.has(op as string)))) {
    fail("failed to decode value for key key_ops");
  }
  const chain = jwk.x5c;
  if (chain !== undefined && (!Array.isArray(chain) || !chain.every((c) => typeof c === "string"))) {
    fail("failed to decode value for key x5c");
  }
  if (jwk.crv !== undefined && typeof jwk.crv !== "string") fail("failed to decode value for key crv");
  for (const name of BINARY_MEMBERS[kty] as string[]) {
    const value = jwk[name];
    if (value === undefined) continue;
    if (typeof value !== "string") fail(`failed to decode value for key ${name}`);
    jwxBase64(value);
  }
  for (const name of REQUIRED[kty] as string[]) if (jwk[name] === undefined) fail(`required field ${name} is missing`);
  if (kty === "oct" && jwxBase64(jwk.k as string).length === 0) fail('jwk.SymmetricKey: missing "k" field');
}

function asObject(value: unknown, what: string): Jwk {
  if (value === null || typeof value !== "object" || Array.isArray(value)) fail(`failed to parse ${what}`);
  return value as Jwk;
}

/** The first key of a JWK or JWK Set text (jwx's jwk.Parse, then Key(0)); every key is checked. */
export function firstJwk(text: string): Jwk {
  const object = asObject(parseJsonOrFail(text, "failed to unmarshal JWK"), "JWK");
  if (Object.hasOwn(object, "keys")) {
    if (!Array.isArray(object.keys)) fail("failed to parse JWK set");
    const keys = object.keys.map((k) => asObject(k, "JWK set"));
    for (const key of keys) checkMembers(key);
    return keys[0] ?? fail("no keys found in JWK set");
  }
  checkMembers(object);
  return object;
}

/** The secret of an `oct` key. */
export function jwkSecret(jwk: Jwk): Buffer {
  if (jwk.kty !== "oct") fail("a symmetric (oct) key is required");
  return jwxBase64(jwk.k as string);
}

/** The private key of a JWK of type `kty` (RSA, EC or OKP), in the URL alphabet Node imports. */
export function jwkPrivateKey(jwk: Jwk, kty: string): KeyObject {
  if (jwk.kty !== kty || typeof jwk.d !== "string") fail(`a private ${kty} key is required`);
  const normalised: Record<string, unknown> = { ...jwk };
  for (const name of BINARY_MEMBERS[kty] as string[]) {
    if (typeof jwk[name] === "string") normalised[name] = jwxBase64(jwk[name] as string).toString("base64url");
  }
  try {
    return createPrivateKey({ key: normalised as never, format: "jwk" });
  } catch (err) {
    return fail(`invalid ${kty} key: ${(err as Error).message}`);
  }
}
