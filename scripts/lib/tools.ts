// Paths of the external tools that scripts/bootstrap.mjs installs, and the pinned versions.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const toolsBin = join(repoRoot, ".tools/bin");

export const toolVersions: { envoy: { version: string }; opa: { version: string } } = JSON.parse(
  readFileSync(join(repoRoot, "scripts/tool-versions.json"), "utf8"),
);

function tool(name: string): string {
  const path = join(toolsBin, name);
  if (!existsSync(path)) throw new Error(`${name} is not installed: run \`npm run bootstrap\` (scripts/bootstrap.mjs)`);
  return path;
}

export const envoyBinary = (): string => tool("envoy");
export const opaBinary = (): string => tool("opa");
