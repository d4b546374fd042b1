// Checks, tests and builds every policy bundle in policy/bundles.json with the pinned OPA CLI:
// `opa check --strict`, `opa test`, then `opa build -t wasm` to build/policy/<name>.tar.gz.
// Optional per-bundle steps (coverage threshold, SDK-builtins check, dev signing) are described in
// scripts/lib/policy-build-options.ts. Flags: `--only <name>` builds one bundle, `--out <dir>`
// writes elsewhere than build/policy (tests build into a temporary directory).
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { inputPathsOfSources } from "../authz-server/src/policy/input-paths.ts";
import {
  type BundleSpec,
  devSigningKey,
  policyCoverage,
  readJson,
  sdkCapabilities,
} from "./lib/policy-build-options.ts";
import { opaBinary, repoRoot } from "./lib/tools.ts";

const bundles: Record<string, BundleSpec> = JSON.parse(readFileSync(join(repoRoot, "policy/bundles.json"), "utf8"));
const opa = opaBinary();

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const only = flag("--only");
const outDir = resolve(flag("--out") ?? join(repoRoot, "build/policy"));
mkdirSync(outDir, { recursive: true });
if (only !== undefined && !(only in bundles)) {
  console.error(`build-policy: no bundle named ${only} in policy/bundles.json`);
  process.exit(1);
}

function revision(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: "pipe",
    }).trim();
  } catch {
    return "dev";
  }
}

function opaRun(step: string, args: string[], cwd = repoRoot): string {
  const r = spawnSync(opa, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    console.error(`build-policy: ${step} failed:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  return r.stdout;
}

/** Capabilities file limited to the OPA Wasm SDK's builtins (written once per run). */
function sdkCapabilitiesFile(): string {
  const path = join(outDir, "opa-wasm-sdk-capabilities.json");
  const current = JSON.parse(opaRun("opa capabilities", ["capabilities", "--current"]));
  const sdk = readJson<{ builtins: unknown[] }>(
    join(repoRoot, "node_modules/@open-policy-agent/opa-wasm/capabilities.json"),
  );
  writeFileSync(path, JSON.stringify(sdkCapabilities(current, sdk)));
  return path;
}

/** The bundle's Rego sources (tests left out, as the build leaves them out). */
function regoSources(dir: string): { path: string; text: string }[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".rego") && !file.endsWith("_test.rego"))
    .sort()
    .map((file) => ({ path: file, text: readFileSync(join(repoRoot, dir, file), "utf8") }));
}

/** A copy of the bundle's directory with a `.manifest` naming the input paths its Rego reads
 *  (authz-server/src/policy/input-paths.ts): the built bundle carries them, signed with the rest,
 *  and the server writes only those parts of the input into the policy. The copy sits at the same
 *  relative path under the returned root, so the bundle's file names stay `dir/...`. */
function stagedWithInputPaths(name: string, dir: string): string {
  const root = join(outDir, ".staging", name);
  const stage = join(root, dir);
  rmSync(root, { recursive: true, force: true });
  cpSync(join(repoRoot, dir), stage, { recursive: true });
  const paths = inputPathsOfSources(regoSources(dir));
  // A manifest the directory has keeps its fields (roots, metadata); the paths are added to it.
  const manifestPath = join(stage, ".manifest");
  const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : {};
  manifest.metadata = {
    ...manifest.metadata,
    meshward: { ...manifest.metadata?.meshward, input_paths: paths ?? null },
  };
  writeFileSync(manifestPath, JSON.stringify(manifest));
  console.log(
    `build-policy: ${name} reads ${paths ? `${paths.length} input paths` : "any part of the input (no projection)"}`,
  );
  return root;
}

for (const [name, bundle] of Object.entries(bundles)) {
  if (name.startsWith("$") || (only !== undefined && name !== only)) continue;
  const capabilities = bundle.sdkBuiltinsOnly ? ["--capabilities", sdkCapabilitiesFile()] : [];
  opaRun(`opa check --strict ${bundle.dir}`, ["check", "--strict", ...capabilities, bundle.dir]);
  opaRun(`opa test ${bundle.dir}`, ["test", bundle.dir]);
  if (bundle.minCoverage !== undefined) {
    const report = JSON.parse(opaRun("opa test --coverage", ["test", "--coverage", "--format", "json", bundle.dir]));
    const coverage = policyCoverage(report);
    console.log(`build-policy: ${name} coverage ${coverage.toFixed(1)}% (minimum ${bundle.minCoverage}%)`);
    if (coverage < bundle.minCoverage) {
      console.error(
        `build-policy: ${name} coverage below ${bundle.minCoverage}%; run \`opa test --coverage ${bundle.dir}\``,
      );
      process.exit(1);
    }
  }
  const signing: string[] = [];
  if (bundle.sign) {
    const key = devSigningKey(join(outDir, "dev-keys"), name);
    signing.push("--signing-key", key.privateKeyPath, "--signing-alg", key.algorithm);
    console.log(`build-policy: ${name} signed with a dev key; verify with ${key.publicKeyPath}`);
  }
  const out = join(outDir, `${name}.tar.gz`);
  const stagingRoot = stagedWithInputPaths(name, bundle.dir);
  opaRun(
    `opa build ${bundle.dir}`,
    [
      "build",
      "--bundle", // the staged directory is a bundle: its .manifest carries the input paths
      "-t",
      "wasm",
      ...bundle.entrypoints.flatMap((e) => ["-e", e]),
      ...capabilities,
      ...signing,
      "--ignore",
      "*_test.rego",
      "--revision",
      revision(),
      "-o",
      out,
      bundle.dir,
    ],
    stagingRoot,
  );
  console.log(`build-policy: ${name} → ${out}`);
  // Staging follows the normal build only: a --out build (tests) leaves the repository alone.
  if (bundle.stage && flag("--out") === undefined) {
    const stageDir = join(repoRoot, bundle.stage);
    mkdirSync(stageDir, { recursive: true });
    copyFileSync(out, join(stageDir, "bundle.tar.gz"));
    if (bundle.sign)
      copyFileSync(devSigningKey(join(outDir, "dev-keys"), name).publicKeyPath, join(stageDir, "verification-key.pem"));
    console.log(`build-policy: ${name} staged in ${bundle.stage}`);
  }
}
