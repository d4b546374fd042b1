// The two image formats Istio's Wasm fetcher (pkg/wasm/imagefetcher.go) reads, for one filter:
//  - compat: an ordinary OCI image whose one layer is a gzip tar holding plugin.wasm. The fetcher
//    tries this form first, and every registry and scanner treats it as a normal image, so the
//    manifests pin this one.
//  - oci: the Wasm artifact form, config application/vnd.module.wasm.config.v1+json and the raw
//    module as an application/vnd.module.wasm.content.layer.v1+wasm layer, the config again as a
//    second layer (the fetcher's fallback, which insists on exactly two layers).
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Descriptor, MEDIA, OciLayout } from "./oci-layout.ts";
import { FIXED_MTIME, reproducibleTar } from "./reproducible-tar.ts";
import { storedGzip } from "./stored-gzip.ts";

export type WasmVariant = "compat" | "oci";
export const WASM_VARIANTS: readonly WasmVariant[] = ["compat", "oci"];

export interface ImageMeta {
  version: string;
  source: string;
}

const created = new Date(FIXED_MTIME * 1000).toISOString();

function annotations(filter: string, meta: ImageMeta): Record<string, string> {
  return {
    "org.opencontainers.image.created": created,
    "org.opencontainers.image.source": meta.source,
    "org.opencontainers.image.title": `meshward-${filter}`,
    "org.opencontainers.image.version": meta.version,
  };
}

/** plugin.wasm in a tar, as the compat layer carries it. */
function pluginTar(wasm: string): Buffer {
  const stage = mkdtempSync(join(tmpdir(), "meshward-wasm-"));
  try {
    copyFileSync(wasm, join(stage, "plugin.wasm"));
    reproducibleTar(stage, ["plugin.wasm"], join(stage, "layer.tar"));
    return readFileSync(join(stage, "layer.tar"));
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Writes the filter's image in `variant` as an OCI layout at `dir`, tagged `tag`. */
export async function writeWasmImage(
  filter: string,
  wasm: string,
  variant: WasmVariant,
  dir: string,
  tag: string,
  meta: ImageMeta,
): Promise<Descriptor> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const layout = new OciLayout(dir);
  let descriptor: Descriptor;
  if (variant === "compat") {
    const tar = pluginTar(wasm);
    const diffId = `sha256:${createHash("sha256").update(tar).digest("hex")}`;
    const config = {
      architecture: "wasm",
      os: "wasip1",
      created,
      config: { Labels: annotations(filter, meta) },
      rootfs: { type: "layers", diff_ids: [diffId] },
    };
    descriptor = await layout.addImage(
      tag,
      { mediaType: MEDIA.imageConfig, json: config },
      [{ mediaType: MEDIA.tarGzipLayer, source: { bytes: storedGzip(tar) } }],
      annotations(filter, meta),
    );
  } else {
    // Istio reads this form as Solo's Wasm image spec has it: two layers, the module and the
    // config (the same JSON as the manifest's config); one layer is refused.
    const config = Buffer.from(JSON.stringify({ created, type: "envoy_proxy" }));
    descriptor = await layout.addImage(
      tag,
      { mediaType: MEDIA.wasmConfig, json: { created, type: "envoy_proxy" } },
      [
        { mediaType: MEDIA.wasmLayer, source: { bytes: readFileSync(wasm) } },
        { mediaType: MEDIA.wasmConfig, source: { bytes: config } },
      ],
      annotations(filter, meta),
    );
  }
  layout.finish();
  return descriptor;
}
