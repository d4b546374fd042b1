// `npm run package [-- --no-pin] [-- --out DIR] [-- --only wasm]`: the release images, built without
// a container engine, as OCI layouts under build/images/<image>/ (push each with
// `crane push build/images/<image> <registry>/meshward/<name>:<tag>`):
//   <filter>-compat, <filter>-oci   for traffic-shaper and adaptive-lb (./wasm-images.ts)
//   authz-server                    the ext_authz server on a Debian-derived root (./authz-image.ts)
// plus build/images/digests.json. Then writes the digests into the manifests (./pinned-digests.ts)
// unless --no-pin. The same inputs give the same digests (test/package/reproducible.test.ts).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { repoRoot } from "../lib/tools.ts";
import { buildAuthzImage } from "./authz-image.ts";
import { imageMeta, PACKAGED_FILTERS, wasmImageName } from "./names.ts";
import { pinDigests } from "./pinned-digests.ts";
import { WASM_VARIANTS, writeWasmImage } from "./wasm-images.ts";

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const out = resolve(option("--out") ?? join(repoRoot, "build/images"));
const only = option("--only");
mkdirSync(out, { recursive: true });

const meta = imageMeta();
const digests: Record<string, string> = {};
for (const filter of PACKAGED_FILTERS) {
  for (const variant of WASM_VARIANTS) {
    const name = wasmImageName(filter, variant);
    const wasm = join(repoRoot, "build/filters", `${filter}.wasm`);
    const descriptor = await writeWasmImage(filter, wasm, variant, join(out, name), meta.version, meta);
    digests[name] = descriptor.digest;
    console.log(`package: ${name} ${descriptor.digest} (${descriptor.size} byte manifest)`);
  }
}
if (only !== "wasm") {
  const started = Date.now();
  const authz = await buildAuthzImage(join(out, "authz-server"), meta);
  digests["authz-server"] = authz.digest;
  console.log(`package: authz-server ${authz.digest} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
writeFileSync(join(out, "digests.json"), `${JSON.stringify(digests, null, 2)}\n`);

if (!argv.includes("--no-pin")) {
  const wasmPins = Object.fromEntries(PACKAGED_FILTERS.map((f) => [f, digests[wasmImageName(f, "compat")] as string]));
  const changed = pinDigests(repoRoot, wasmPins, digests["authz-server"]);
  console.log(
    changed.length
      ? `package: pinned new digests in ${changed.join(", ")}`
      : "package: manifests already pin these digests",
  );
}
