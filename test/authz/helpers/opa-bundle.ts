// Builds OPA bundles for tests with the real, pinned OPA CLI (`opa build -t wasm`), into a fresh
// temporary directory per call. Extra arguments (signing keys, revision) pass straight through.
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseBundle } from "../../../authz-server/src/policy/bundle.ts";
import { createEvaluator, type PolicyEvaluator } from "../../../authz-server/src/policy/evaluator.ts";
import { unpackBundleArchive } from "../../../authz-server/src/policy/unpack.ts";
import { opaBinary, repoRoot } from "../../../scripts/lib/tools.ts";
import { scratchDir } from "./scratch.ts";

export interface BuildOptions {
  entrypoints: string[];
  /** Written as data.json at the bundle root (after copying the sources). */
  data?: Record<string, unknown>;
  revision?: string;
  extraArgs?: string[];
}

/** Copies `policyDir` (relative to the repo) to a temp dir, adds data, builds; returns the path. */
export function buildBundle(policyDir: string, options: BuildOptions): string {
  const work = scratchDir("mw-bundle");
  const src = join(work, "src");
  cpSync(join(repoRoot, policyDir), src, { recursive: true });
  if (options.data) writeFileSync(join(src, "data.json"), JSON.stringify(options.data));
  const out = join(work, "bundle.tar.gz");
  execFileSync(
    opaBinary(),
    [
      "build",
      "-t",
      "wasm",
      ...options.entrypoints.flatMap((e) => ["-e", e]),
      "--ignore",
      "*_test.rego",
      "--revision",
      options.revision ?? "test",
      ...(options.extraArgs ?? []),
      "-o",
      out,
      src,
    ],
    { cwd: work, stdio: "pipe" },
  );
  return out;
}

export function readBundle(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** The evaluator of one Rego file compiled with `opa build -t wasm -e entrypoint`. */
export async function wasmEvaluatorOf(regoFile: string, entrypoint: string): Promise<PolicyEvaluator> {
  const work = scratchDir("mw-wasm");
  const out = join(work, "bundle.tar.gz");
  execFileSync(opaBinary(), ["build", "-t", "wasm", "-e", entrypoint, "-o", out, regoFile], {
    cwd: work,
    stdio: "pipe",
  });
  return createEvaluator(parseBundle(await unpackBundleArchive(readBundle(out))));
}
