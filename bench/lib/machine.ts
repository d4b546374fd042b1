// Provenance recorded with every benchmark result: versions, git sha, CPU model, core count.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { repoRoot, toolVersions } from "../../scripts/lib/tools.ts";

function quiet(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

export interface Provenance {
  date: string;
  gitSha: string;
  node: string;
  envoy: string;
  opa: string;
  assemblyscript: string;
  cpuModel: string;
  cores: number;
}

export function provenance(): Provenance {
  const asc = JSON.parse(readFileSync(join(repoRoot, "node_modules/assemblyscript/package.json"), "utf8")) as {
    version: string;
  };
  return {
    date: new Date().toISOString(),
    gitSha: quiet("git", ["rev-parse", "--short=12", "HEAD"]),
    node: process.version,
    envoy: toolVersions.envoy.version,
    opa: toolVersions.opa.version,
    assemblyscript: asc.version,
    cpuModel: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
  };
}
