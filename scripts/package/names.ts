// What `npm run package` builds and how the images are named, shared by the build, the drift
// test and the Istio e2e.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../lib/tools.ts";
import type { ImageMeta, WasmVariant } from "./wasm-images.ts";

/** The filters released as images (the others in asconfig.json are test and bench modules). */
export const PACKAGED_FILTERS = ["traffic-shaper", "adaptive-lb"] as const;
export type PackagedFilter = (typeof PACKAGED_FILTERS)[number];

export const wasmImageName = (filter: string, variant: WasmVariant): string => `${filter}-${variant}`;

export const SOURCE_URL = "https://github.com/meshward/meshward";

export function imageMeta(): ImageMeta {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  return { version: pkg.version, source: SOURCE_URL };
}
