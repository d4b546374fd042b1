// The image digests the manifests pin, read and written in place: each WasmPlugin's `sha256` (the
// manifest digest of the filter's compat image: what Istio compares for an oci:// URL) and the
// authz server's image digest in the base kustomization's `images` entry. `npm run package` writes
// them; test/manifests/image-digests.test.ts fails when they drift from what the build produces.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const WASM_PLUGIN_FILES: Record<string, string> = {
  "traffic-shaper": "manifests/istio/filters/wasm-plugin/traffic-shaper.yaml",
  "adaptive-lb": "manifests/istio/filters/wasm-plugin/adaptive-lb.yaml",
};
export const AUTHZ_KUSTOMIZATION = "manifests/authz-server/base/kustomization.yaml";

const WASM_SHA = /^(\s+sha256: )([0-9a-f]{64})$/m;
const AUTHZ_DIGEST = /^(\s+digest: )(sha256:[0-9a-f]{64})$/m;

function read(root: string, file: string, pattern: RegExp): string {
  const match = pattern.exec(readFileSync(join(root, file), "utf8"));
  if (!match?.[2]) throw new Error(`${file}: no line matching ${pattern}`);
  return match[2];
}

function write(root: string, file: string, pattern: RegExp, value: string): boolean {
  const path = join(root, file);
  const text = readFileSync(path, "utf8");
  if (!pattern.test(text)) throw new Error(`${file}: no line matching ${pattern}`);
  const next = text.replace(pattern, (_, prefix: string) => `${prefix}${value}`);
  if (next === text) return false;
  writeFileSync(path, next);
  return true;
}

/** The `sha256` a WasmPlugin pins: hex, no algorithm prefix (Istio's format). */
export const pinnedWasmDigest = (root: string, filter: string): string =>
  `sha256:${read(root, WASM_PLUGIN_FILES[filter] as string, WASM_SHA)}`;

export const pinnedAuthzDigest = (root: string): string => read(root, AUTHZ_KUSTOMIZATION, AUTHZ_DIGEST);

/** Writes the digests; returns the files that changed. */
export function pinDigests(root: string, wasm: Record<string, string>, authz: string | undefined): string[] {
  const changed: string[] = [];
  for (const [filter, digest] of Object.entries(wasm)) {
    const file = WASM_PLUGIN_FILES[filter] as string;
    if (write(root, file, WASM_SHA, digest.replace(/^sha256:/, ""))) changed.push(file);
  }
  if (authz && write(root, AUTHZ_KUSTOMIZATION, AUTHZ_DIGEST, authz)) changed.push(AUTHZ_KUSTOMIZATION);
  return changed;
}
