// Private keys as OPA reads them (topdown/crypto.go) and as Go marshals them. A PEM block of type
// "RSA PRIVATE KEY" is PKCS #1, "PRIVATE KEY" PKCS #8, "EC PRIVATE KEY" SEC 1; other blocks are
// skipped; a block of those types that does not parse is an error. Go's x509 knows RSA, ECDSA on
// P-224/256/384/521, Ed25519 and X25519 keys, so others (secp256k1, Ed448, RSA-PSS, DSA) are
// errors even where Node could read them. JSON forms, as encoding/json writes Go's key types:
//   RSA      {N, E, D, Primes: [p, q], Precomputed: {Dp, Dq, Qinv, CRTValues: []}} (integers exact)
//   ECDSA    {Curve: {}, X, Y, D}   (the curve is an interface with no exported fields)
//   Ed25519  base64 of seed || public key
//   X25519   {}                      (crypto/ecdh keys have no exported fields)
// and as a JWK (lestrrat-go/jwx's Import): RSA n e d p q dp dq qi, EC crv x y d, OKP crv x d; jwx
// has no P-224 JWK.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { RawRego, type RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { children, type Der, read } from "./der.ts";
import { fail, str } from "./operands.ts";
import { latin1, pemBlocks, stdBase64 } from "./pem.ts";

const DER_TYPES: Record<string, "pkcs1" | "pkcs8" | "sec1"> = {
  "RSA PRIVATE KEY": "pkcs1",
  "PRIVATE KEY": "pkcs8",
  "EC PRIVATE KEY": "sec1",
};
const GO_CURVES: Record<string, string> = {
  secp224r1: "P-224",
  prime256v1: "P-256",
  secp384r1: "P-384",
  secp521r1: "P-521",
};

/** A private key in `der` of PEM block type `type`, as Go's x509 parsers accept it. */
export function parsePrivateKeyDer(der: Buffer, type: "pkcs1" | "pkcs8" | "sec1"): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: der, format: "der", type });
  } catch (err) {
    return fail(`x509: failed to parse private key: ${(err as Error).message}`);
  }
  const kind = key.asymmetricKeyType;
  if (kind === "ec" && !GO_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""]) fail("x509: unknown elliptic curve");
  if (kind !== "rsa" && kind !== "ec" && kind !== "ed25519" && kind !== "x25519") {
    fail(`x509: PKCS#8 wrapping contained private key with unknown algorithm: ${kind}`);
  }
  if (type === "pkcs1" && kind !== "rsa") fail("x509: failed to parse private key");
  if (type === "sec1" && kind !== "ec") fail("x509: failed to parse EC private key");
  return key;
}

/** The private keys of OPA's getPrivateKeysFromPEMData: `text` (or its standard base64) as PEM. */
export function privateKeysOf(text: string): KeyObject[] {
  const decoded = stdBase64(latin1(text));
  const pem = decoded ? decoded.toString("latin1") : latin1(text);
  const keys: KeyObject[] = [];
  for (const block of pemBlocks(pem)) {
    const type = DER_TYPES[block.type];
    if (type) keys.push(parsePrivateKeyDer(block.bytes, type));
  }
  return keys;
}

/** D, X and Y of an EC key, from its SEC 1 form (Node has no JWK for P-224). */
function ecComponents(key: KeyObject): { d: Buffer; x: Buffer; y: Buffer } {
  const parts = children(read(key.export({ format: "der", type: "sec1" })));
  const d = (parts[1] as Der).content;
  const bits = children(parts.find((p) => p.tag === 0xa1) as Der)[0] as Der;
  const point = bits.content.subarray(2); // unused-bits byte, then 0x04 (uncompressed)
  const size = point.length / 2;
  return { d, x: point.subarray(0, size), y: point.subarray(size) };
}

const bigInteger = (bytes: Buffer) => new RawRego(BigInt(`0x${bytes.toString("hex") || "0"}`).toString());

const integer = (base64url: unknown) => bigInteger(Buffer.from(base64url as string, "base64url"));

/** A private key as Go's encoding/json writes its crypto type. */
export function goPrivateKeyJson(key: KeyObject): RegoValue {
  const jwk = key.asymmetricKeyType === "ec" ? {} : (key.export({ format: "jwk" }) as Record<string, string>);
  switch (key.asymmetricKeyType) {
    case "rsa":
      return {
        D: integer(jwk.d),
        E: integer(jwk.e),
        N: integer(jwk.n),
        Precomputed: { CRTValues: [], Dp: integer(jwk.dp), Dq: integer(jwk.dq), Qinv: integer(jwk.qi) },
        Primes: [integer(jwk.p), integer(jwk.q)],
      };
    case "ec": {
      const { d, x, y } = ecComponents(key);
      return { Curve: {}, D: bigInteger(d), X: bigInteger(x), Y: bigInteger(y) };
    }
    case "ed25519":
      return Buffer.concat([
        Buffer.from(jwk.d as string, "base64url"),
        Buffer.from(jwk.x as string, "base64url"),
      ]).toString("base64");
    default:
      return {};
  }
}

/** A private key as the JWK jwx's jwk.Import makes of it. */
function privateJwk(key: KeyObject): RegoValue {
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "secp224r1") {
    fail("jwk: failed to get algorithm for converting ECDSA private key to JWK: unknown elliptic curve");
  }
  return { ...(key.export({ format: "jwk" }) as Record<string, string>) };
}

function parsePrivateKeys(text: string): RegoValue {
  if (text === "") return null;
  return privateKeysOf(text).map(goPrivateKeyJson);
}

function parseRsaPrivateKey(text: string): RegoValue {
  if (text === "") fail("input PEM data was empty");
  let pem = text;
  if (!text.startsWith("-----BEGIN")) pem = (stdBase64(latin1(text)) ?? fail("illegal base64 data")).toString("utf8");
  const [first] = privateKeysOf(pem);
  return first === undefined ? null : privateJwk(first);
}

export const privateKeyBuiltins: Record<string, Builtin> = {
  "crypto.parse_private_keys": ([text]) => parsePrivateKeys(str(text, "crypto.parse_private_keys")),
  "crypto.x509.parse_rsa_private_key": ([text]) => parseRsaPrivateKey(str(text, "crypto.x509.parse_rsa_private_key")),
};
