// The keys that verify bundle signatures (`bundle.signing`), read from their files at start-up, and
// the JWS algorithm each one is used with: the configured one, else the one its type implies (an
// RSA key means RS256 as in OPA; an EC key, the ES algorithm of its curve; Ed25519, EdDSA). An HS*
// algorithm reads the file as a shared secret.
import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SigningConfig } from "../config/schema.ts";
import { ConfigError } from "../errors.ts";
import type { SignatureVerification } from "./signature.ts";

const ALGORITHM_BY_CURVE: Readonly<Record<string, string>> = {
  prime256v1: "ES256",
  secp384r1: "ES384",
  secp521r1: "ES512",
};

/** The JWS algorithm a public key implies when the config names none. */
function impliedAlgorithm(key: KeyObject, file: string): string {
  if (key.asymmetricKeyType === "rsa") return "RS256";
  if (key.asymmetricKeyType === "ed25519") return "EdDSA";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const algorithm = curve ? ALGORITHM_BY_CURVE[curve] : undefined;
  if (!algorithm) throw new ConfigError(file, "cannot infer a signing algorithm, set bundle.signing.keys.*.algorithm");
  return algorithm;
}

/** What ActivePolicy verifies bundles with; undefined when bundles are not signed. */
export function signatureVerification(signing: SigningConfig | undefined): SignatureVerification | undefined {
  if (!signing) return undefined;
  const keys: SignatureVerification["keys"] = {};
  for (const [id, configured] of Object.entries(signing.keys)) {
    const bytes = readFileSync(configured.keyFile);
    if (configured.algorithm?.startsWith("HS")) {
      keys[id] = { algorithm: configured.algorithm, key: createSecretKey(bytes) };
      continue;
    }
    const key = createPublicKey(bytes);
    keys[id] = { algorithm: configured.algorithm ?? impliedAlgorithm(key, configured.keyFile), key };
  }
  return {
    keys,
    excludeFiles: signing.excludeFiles,
    ...(signing.keyId ? { keyId: signing.keyId } : {}),
    ...(signing.scope ? { scope: signing.scope } : {}),
  };
}
