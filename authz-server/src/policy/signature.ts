// Bundle signature verification, as OPA does it (docs "Bundles → Signing", bundle/verify.go):
// `.signatures.json` holds exactly one JWT whose payload lists every file with its digest. The JWT
// is verified with jose against an out-of-band key (configured key id first, then the JWT's `kid`),
// with the algorithm pinned to the key's configured one (no `none`, no HS/RS confusion); the listed
// files must be exactly the bundle's files and every digest must match. Signed-but-not-configured
// and configured-but-unsigned both fail, as in OPA.
import { type CryptoKey, compactVerify, type KeyObject } from "jose";
import { ErrorCodes, MeshwardError } from "../errors.ts";
import { parseJsonData } from "../json/untrusted-json.ts";
import { fileDigest, SIGNATURES_FILE, signedFileNames } from "./file-hashes.ts";

export interface VerificationKey {
  algorithm: string;
  /** Public key for RS/PS/ES/EdDSA, secret bytes for HS. */
  key: KeyObject | CryptoKey | Uint8Array;
}

export interface SignatureVerification {
  keys: Record<string, VerificationKey>;
  keyId?: string;
  scope?: string;
  excludeFiles: readonly string[];
}

interface FileEntry {
  name: string;
  hash: string;
  algorithm: string;
}

function fail(message: string): never {
  throw new MeshwardError(ErrorCodes.bundleSignature, message);
}

function readSignature(files: Map<string, Uint8Array>): string {
  const bytes = files.get(`/${SIGNATURES_FILE}`);
  if (!bytes) fail("bundle is not signed (no .signatures.json) but signing is configured");
  let parsed: unknown;
  try {
    parsed = parseJsonData(Buffer.from(bytes).toString("utf8"));
  } catch {
    fail(".signatures.json is not valid JSON");
  }
  const signatures = (parsed as { signatures?: unknown }).signatures;
  if (!Array.isArray(signatures) || signatures.length !== 1 || typeof signatures[0] !== "string") {
    fail(".signatures.json must hold exactly one signature");
  }
  return signatures[0];
}

function headerKid(jwt: string): string | undefined {
  try {
    const header = parseJsonData(Buffer.from(jwt.split(".")[0] ?? "", "base64url").toString("utf8")) as {
      kid?: unknown;
    };
    return typeof header.kid === "string" ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** Throws MW_BUNDLE_SIGNATURE unless the bundle is signed as `options` require. */
export async function verifyBundleSignature(
  files: Map<string, Uint8Array>,
  options?: SignatureVerification,
): Promise<void> {
  if (!options) {
    if (files.has(`/${SIGNATURES_FILE}`)) fail("bundle is signed but no verification key is configured");
    return;
  }
  const jwt = readSignature(files);
  const keyId = options.keyId ?? headerKid(jwt) ?? "default";
  const key = Object.hasOwn(options.keys, keyId) ? options.keys[keyId] : undefined; // kid is the signer's choice
  if (!key) fail(`no verification key with id ${JSON.stringify(keyId)}`);
  let payload: { files?: unknown; scope?: unknown };
  try {
    const verified = await compactVerify(jwt, key.key, { algorithms: [key.algorithm] });
    payload = parseJsonData(new TextDecoder().decode(verified.payload)) as typeof payload;
  } catch (err) {
    fail(`signature does not verify with key ${JSON.stringify(keyId)}: ${(err as Error).message}`);
  }
  if (options.scope !== undefined && payload.scope !== options.scope) {
    fail(`signature scope ${JSON.stringify(payload.scope)} is not the configured ${JSON.stringify(options.scope)}`);
  }
  if (!Array.isArray(payload.files)) fail("signature payload has no file list");
  const listed = new Map<string, FileEntry>();
  for (const entry of payload.files as FileEntry[]) listed.set(String(entry?.name).replace(/^\//, ""), entry);
  const present = signedFileNames(files, options.excludeFiles);
  for (const name of present) if (!listed.has(name)) fail(`file ${name} is in the bundle but not in the signature`);
  for (const name of listed.keys()) if (!present.includes(name)) fail(`file ${name} is signed but not in the bundle`);
  for (const name of present) {
    const entry = listed.get(name) as FileEntry;
    let digest: string;
    try {
      digest = fileDigest(name, files.get(`/${name}`) as Uint8Array, entry.algorithm ?? "SHA-256");
    } catch (err) {
      fail(`file ${name}: ${(err as Error).message}`);
    }
    if (digest !== entry.hash) fail(`file ${name}: digest does not match the signature`);
  }
}
