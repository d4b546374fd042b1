// Writes images as an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md):
// content-addressed blobs under blobs/sha256, one manifest per image, index.json naming each by
// tag. `crane push <layout dir> <registry>/<repo>:<tag>` (or `crane copy`) pushes them as they are,
// so the digest pinned in the manifests is the digest a registry serves. Every byte comes from the
// inputs: no timestamps, no host names, keys in a fixed order.
import { createHash } from "node:crypto";
import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** A blob to store: bytes in memory, or a file (large layers) hashed while streamed. */
export type BlobSource = { bytes: Buffer } | { file: string };

export const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  imageConfig: "application/vnd.oci.image.config.v1+json",
  tarLayer: "application/vnd.oci.image.layer.v1.tar",
  tarGzipLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  // Wasm artifact media types of the OCI-spec variant Istio's fetcher reads.
  wasmConfig: "application/vnd.module.wasm.config.v1+json",
  wasmLayer: "application/vnd.module.wasm.content.layer.v1+wasm",
} as const;

const sha256 = (bytes: Buffer): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function fileDigest(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size };
}

export class OciLayout {
  private readonly manifests: Descriptor[] = [];

  constructor(readonly dir: string) {
    mkdirSync(join(dir, "blobs/sha256"), { recursive: true });
  }

  private blobPath(digest: string): string {
    return join(this.dir, "blobs/sha256", digest.slice("sha256:".length));
  }

  async addBlob(mediaType: string, source: BlobSource): Promise<Descriptor> {
    if ("bytes" in source) {
      const digest = sha256(source.bytes);
      if (!existsSync(this.blobPath(digest))) writeFileSync(this.blobPath(digest), source.bytes);
      return { mediaType, digest, size: source.bytes.length };
    }
    const { digest, size } = await fileDigest(source.file);
    if (!existsSync(this.blobPath(digest))) copyFileSync(source.file, this.blobPath(digest));
    return { mediaType, digest, size };
  }

  /**
   * Stores an image (its config and layers, in order) and names it `tag` in index.json. Returns
   * the manifest's descriptor: its digest is what Istio's WasmPlugin `sha256` and an image
   * reference `@sha256:` pin.
   */
  async addImage(
    tag: string,
    config: { mediaType: string; json: unknown },
    layers: { mediaType: string; source: BlobSource }[],
    annotations: Record<string, string> = {},
  ): Promise<Descriptor> {
    const configDescriptor = await this.addBlob(config.mediaType, { bytes: Buffer.from(JSON.stringify(config.json)) });
    const layerDescriptors: Descriptor[] = [];
    for (const layer of layers) layerDescriptors.push(await this.addBlob(layer.mediaType, layer.source));
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: configDescriptor,
      layers: layerDescriptors,
      ...(Object.keys(annotations).length ? { annotations } : {}),
    };
    const descriptor = await this.addBlob(MEDIA.manifest, { bytes: Buffer.from(JSON.stringify(manifest)) });
    this.manifests.push({ ...descriptor, annotations: { "org.opencontainers.image.ref.name": tag } });
    return descriptor;
  }

  /** Writes oci-layout and index.json; call once, after the last addImage. */
  finish(): void {
    writeFileSync(join(this.dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    const index = { schemaVersion: 2, mediaType: MEDIA.index, manifests: this.manifests };
    writeFileSync(join(this.dir, "index.json"), JSON.stringify(index));
  }
}

/** The manifest digest index.json names for `tag` in the layout at `dir`. */
export function layoutDigest(dir: string, tag: string): string {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: Descriptor[] };
  const found = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (!found) throw new Error(`${dir}/index.json names no image tagged ${tag}`);
  return found.digest;
}
