// A bundle's files (unpack.ts, already signature-checked) → the parts Meshward evaluates: manifest,
// merged data document, policy.wasm. Format: OPA docs "Bundles" (management-bundles).
// Bundle JSON is data a hostile author chose: it is parsed into objects without a prototype and
// merged into such objects (json/untrusted-json.ts), so `__proto__` is an ordinary key there.
import { ErrorCodes, MeshwardError } from "../errors.ts";
import { parseJsonData } from "../json/untrusted-json.ts";

export interface WasmEntrypointRef {
  entrypoint: string;
  module: string;
}

export interface Manifest {
  revision: string;
  roots: string[];
  wasm: WasmEntrypointRef[];
  metadata?: Record<string, unknown>;
}

export interface Bundle {
  manifest: Manifest;
  data: Record<string, unknown>;
  wasm: Uint8Array;
  files: Map<string, Uint8Array>;
}

function invalid(message: string): MeshwardError {
  return new MeshwardError(ErrorCodes.bundleInvalid, message);
}

function parseJson(bytes: Uint8Array, name: string): unknown {
  try {
    return parseJsonData(new TextDecoder().decode(bytes));
  } catch (err) {
    throw invalid(`${name}: not valid JSON (${(err as Error).message})`);
  }
}

export function parseManifest(value: unknown): Manifest {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid(".manifest: not an object");
  const m = value as Record<string, unknown>;
  const revision = m.revision ?? "";
  if (typeof revision !== "string") throw invalid(".manifest: revision must be a string");
  const roots = m.roots ?? [""];
  if (!Array.isArray(roots) || !roots.every((r) => typeof r === "string")) {
    throw invalid(".manifest: roots must be an array of strings");
  }
  const wasm = m.wasm ?? [];
  if (!Array.isArray(wasm)) throw invalid(".manifest: wasm must be an array");
  const refs = wasm.map((w, i) => {
    const ref = w as Record<string, unknown>;
    if (typeof ref?.entrypoint !== "string" || typeof ref.module !== "string") {
      throw invalid(`.manifest: wasm[${i}] needs string entrypoint and module`);
    }
    return { entrypoint: ref.entrypoint, module: ref.module };
  });
  const manifest: Manifest = { revision, roots, wasm: refs };
  if (m.metadata && typeof m.metadata === "object") manifest.metadata = m.metadata as Record<string, unknown>;
  return manifest;
}

/** Places a data.json found at `/a/b/data.json` under data.a.b, merging objects. */
function mergeAt(target: Record<string, unknown>, path: string[], value: unknown, file: string): void {
  if (path.length === 0) {
    if (value === null || typeof value !== "object" || Array.isArray(value))
      throw invalid(`${file}: root data must be an object`);
    for (const [k, v] of Object.entries(value)) mergeAt(target, [k], v, file);
    return;
  }
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    const existing = target[head];
    if (existing && typeof existing === "object" && value && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) mergeAt(existing as Record<string, unknown>, [k], v, file);
    } else {
      target[head] = value;
    }
    return;
  }
  if (target[head] === undefined) target[head] = Object.create(null);
  const next = target[head];
  if (typeof next !== "object" || Array.isArray(next)) throw invalid(`${file}: data path conflicts at ${head}`);
  mergeAt(next as Record<string, unknown>, rest, value, file);
}

/** The bundle in `files` (bundle path → bytes, as unpackBundleArchive returns them). */
export function parseBundle(files: Map<string, Uint8Array>): Bundle {
  const manifestBytes = files.get("/.manifest");
  const manifest = manifestBytes ? parseManifest(parseJson(manifestBytes, ".manifest")) : parseManifest({});
  const data = Object.create(null) as Record<string, unknown>;
  for (const [path, bytes] of files) {
    if (path === "/data.json" || path.endsWith("/data.json")) {
      const segments = path.split("/").slice(1, -1);
      mergeAt(data, segments, parseJson(bytes, path), path);
    }
  }
  const wasmPath = manifest.wasm[0]?.module ?? "/policy.wasm";
  const wasm = files.get(wasmPath);
  if (!wasm) throw invalid(`bundle has no ${wasmPath}: build it with \`opa build -t wasm -e <entrypoint>\``);
  if (manifest.wasm.some((w) => w.module !== wasmPath))
    throw invalid("bundles with several wasm modules are not supported");
  return { manifest, data, wasm, files };
}
