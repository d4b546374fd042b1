// Per-file digests as OPA's bundle signing defines them: JSON files (and .manifest) are hashed in
// canonical form (canonical-json.ts), everything else as raw bytes; names are bundle paths without
// the leading "/". Pure.
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json.ts";

/** OPA's hashing algorithm names → node:crypto names. */
export const HASH_ALGORITHMS: Record<string, string> = {
  MD5: "md5",
  "SHA-1": "sha1",
  "SHA-224": "sha224",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
  "SHA-512-224": "sha512-224",
  "SHA-512-256": "sha512-256",
};

export const SIGNATURES_FILE = ".signatures.json";

export function isStructured(name: string): boolean {
  return name.endsWith(".json") || name === ".manifest" || name.endsWith("/.manifest");
}

export function fileDigest(name: string, bytes: Uint8Array, algorithm: string): string {
  const nodeName = HASH_ALGORITHMS[algorithm];
  if (!nodeName) throw new Error(`unsupported hashing algorithm ${algorithm}`);
  const hash = createHash(nodeName);
  if (isStructured(name)) hash.update(canonicalJson(Buffer.from(bytes).toString("utf8")));
  else hash.update(bytes);
  return hash.digest("hex");
}

/** `*` matches within a path segment, `**` across segments (enough for OPA's exclude_files). */
export function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${re}$`).test(name);
}

/** Bundle file names that a signature must cover (leading "/" stripped). */
export function signedFileNames(files: Map<string, Uint8Array>, excludeFiles: readonly string[]): string[] {
  return [...files.keys()]
    .map((path) => path.replace(/^\//, ""))
    .filter((name) => name !== SIGNATURES_FILE && !excludeFiles.some((p) => globMatch(p, name)))
    .sort();
}
