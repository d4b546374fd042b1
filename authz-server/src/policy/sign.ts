// Meshward's own bundle signer: produces the same `.signatures.json` as `opa build --signing-key`
// (one JWT, payload {files: [{name, hash, algorithm}], keyid, scope?, iat}), so bundles it signs
// verify in OPA and in Meshward alike. Used by `meshward-authz-sign` (tools/sign-bundle.ts).
import { CompactSign, type CryptoKey, type KeyObject } from "jose";
import { fileDigest, SIGNATURES_FILE, signedFileNames } from "./file-hashes.ts";

export interface SigningOptions {
  algorithm: string;
  key: KeyObject | CryptoKey | Uint8Array;
  keyId: string;
  scope?: string;
  excludeFiles?: readonly string[];
  hashAlgorithm?: string;
  /** Seconds since the epoch for `iat`; passed in (no ambient clock). */
  issuedAt: number;
}

/** Returns a copy of `files` with a fresh `/.signatures.json`. */
export async function signBundleFiles(
  files: Map<string, Uint8Array>,
  options: SigningOptions,
): Promise<Map<string, Uint8Array>> {
  const hashAlgorithm = options.hashAlgorithm ?? "SHA-256";
  const unsigned = new Map([...files].filter(([path]) => path !== `/${SIGNATURES_FILE}`));
  const entries = signedFileNames(unsigned, options.excludeFiles ?? []).map((name) => ({
    name,
    hash: fileDigest(name, unsigned.get(`/${name}`) as Uint8Array, hashAlgorithm),
    algorithm: hashAlgorithm,
  }));
  const payload: Record<string, unknown> = { files: entries, keyid: options.keyId, iat: options.issuedAt };
  if (options.scope !== undefined) payload.scope = options.scope;
  const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: options.algorithm, kid: options.keyId, typ: "JWT" })
    .sign(options.key);
  const out = new Map(unsigned);
  out.set(`/${SIGNATURES_FILE}`, new TextEncoder().encode(JSON.stringify({ signatures: [jwt] })));
  return out;
}
