// Checks, tests and builds every policy bundle in policy/bundles.json with the pinned OPA CLI:
// `opa check --strict`, `opa test`, then `opa build -t wasm` to build/policy/<name>.tar.gz.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { opaBinary, repoRoot } from "./lib/tools.ts";

const bundles: Record<string, { dir: string; entrypoints: string[] }> = JSON.parse(
  readFileSync(join(repoRoot, "policy/bundles.json"), "utf8"),
);
const opa = opaBinary();
const outDir = join(repoRoot, "build/policy");
mkdirSync(outDir, { recursive: true });

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

function opaRun(step: string, args: string[]): void {
  const r = spawnSync(opa, args, { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) {
    console.error(`build-policy: ${step} failed:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
}

for (const [name, bundle] of Object.entries(bundles)) {
  if (name.startsWith("$")) continue;
  opaRun(`opa check --strict ${bundle.dir}`, ["check", "--strict", bundle.dir]);
  opaRun(`opa test ${bundle.dir}`, ["test", bundle.dir]);
  const out = join(outDir, `${name}.tar.gz`);
  opaRun(`opa build ${bundle.dir}`, [
    "build",
    "-t",
    "wasm",
    ...bundle.entrypoints.flatMap((e) => ["-e", e]),
    "--ignore",
    "*_test.rego",
    "--revision",
    revision(),
    "-o",
    out,
    bundle.dir,
  ]);
  console.log(`build-policy: ${name} → build/policy/${name}.tar.gz`);
}
