// The filter images `npm run package` builds: reproducible (two builds, same digests and bytes),
// readable the way Istio's fetcher reads them, and pinned in the manifests (a drift check).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { imageMeta, PACKAGED_FILTERS } from "../../scripts/package/names.ts";
import { layoutDigest, MEDIA } from "../../scripts/package/oci-layout.ts";
import { pinnedWasmDigest } from "../../scripts/package/pinned-digests.ts";
import { storedGzip } from "../../scripts/package/stored-gzip.ts";
import { WASM_VARIANTS, type WasmVariant, writeWasmImage } from "../../scripts/package/wasm-images.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";

const wasmOf = (filter: string) => join(repoRoot, "build/filters", `${filter}.wasm`);

interface Manifest {
  config: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string }[];
}

async function build(dir: string): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const filter of PACKAGED_FILTERS)
    for (const variant of WASM_VARIANTS)
      digests[`${filter}-${variant}`] = (
        await writeWasmImage(filter, wasmOf(filter), variant, join(dir, `${filter}-${variant}`), "0.1.0", imageMeta())
      ).digest;
  return digests;
}

const blob = (dir: string, digest: string) => readFileSync(join(dir, "blobs/sha256", digest.replace("sha256:", "")));
const manifestOf = (dir: string, variant: WasmVariant, filter: string): Manifest => {
  const image = join(dir, `${filter}-${variant}`);
  return JSON.parse(blob(image, layoutDigest(image, "0.1.0")).toString("utf8"));
};

/** plugin.wasm out of a (ustar/GNU) tar: name at 0, octal size at 124, data after the 512-byte header. */
function untarPlugin(tar: Buffer): { name: string; data: Buffer } {
  const name = tar.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
  const size = Number.parseInt(tar.subarray(124, 136).toString("utf8").replace(/\0.*$/s, "").trim(), 8);
  return { name, data: tar.subarray(512, 512 + size) };
}

describe("filter images (npm run package)", () => {
  let first = "";
  let second = "";
  let digests: Record<string, string> = {};

  beforeAll(async () => {
    first = scratchDir("mw-wasm-images-a");
    second = scratchDir("mw-wasm-images-b");
    digests = await build(first);
    expect(await build(second)).toEqual(digests);
  });

  it("are reproducible: two builds give the same digests and the same bytes", () => {
    for (const name of Object.keys(digests)) {
      const blobs = readdirSync(join(first, name, "blobs/sha256")).sort();
      expect(readdirSync(join(second, name, "blobs/sha256")).sort()).toEqual(blobs);
      expect(readFileSync(join(second, name, "index.json"))).toEqual(readFileSync(join(first, name, "index.json")));
    }
  });

  it("compat variant: one gzip tar layer holding plugin.wasm, the module's exact bytes", () => {
    for (const filter of PACKAGED_FILTERS) {
      const manifest = manifestOf(first, "compat", filter);
      expect(manifest.layers).toHaveLength(1);
      expect(manifest.layers[0]?.mediaType).toBe(MEDIA.tarGzipLayer);
      const tar = gunzipSync(blob(join(first, `${filter}-compat`), manifest.layers[0]?.digest ?? ""));
      const entry = untarPlugin(tar);
      expect(entry.name).toBe("plugin.wasm");
      expect(entry.data).toEqual(readFileSync(wasmOf(filter)));
    }
  });

  it("OCI variant: the Wasm config media type, the raw module and the config as the two layers", () => {
    for (const filter of PACKAGED_FILTERS) {
      const manifest = manifestOf(first, "oci", filter);
      expect(manifest.config.mediaType).toBe(MEDIA.wasmConfig);
      expect(manifest.layers.map((l) => l.mediaType)).toEqual([MEDIA.wasmLayer, MEDIA.wasmConfig]);
      expect(manifest.layers[1]?.digest).toBe(manifest.config.digest);
      expect(blob(join(first, `${filter}-oci`), manifest.layers[0]?.digest ?? "")).toEqual(
        readFileSync(wasmOf(filter)),
      );
    }
  });

  it("are the digests the WasmPlugin manifests pin (re-run `npm run package` after changing a filter)", () => {
    for (const filter of PACKAGED_FILTERS) expect(pinnedWasmDigest(repoRoot, filter)).toBe(digests[`${filter}-compat`]);
  });
});

describe("stored gzip", () => {
  it("round-trips through zlib, across the 64 KiB block boundary and for empty input", () => {
    for (const size of [0, 1, 65535, 65536, 200_000]) {
      const data = Buffer.alloc(size, 7);
      if (size > 3) data.write("wasm", 0);
      expect(gunzipSync(storedGzip(data))).toEqual(data);
    }
  });
});
