// Launchers in .tools/bin: a symlink where the program runs as it is, or a small sh script that
// puts the libraries we unpacked on LD_LIBRARY_PATH and execs the program (same pid, so anything
// reading /proc/<pid> sees the program itself).
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { type ToolName, toolPath, toolsBin } from "../lib/tools.ts";

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The text of a launcher script for `target` with `libDirs` first on LD_LIBRARY_PATH. */
export function launcherScript(target: string, libDirs: string[], about: string): string {
  const lines = ["#!/bin/sh", `# Written by scripts/bootstrap: ${about}`];
  if (libDirs.length) {
    lines.push(`LD_LIBRARY_PATH=${quote(libDirs.join(":"))}\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}`);
    lines.push("export LD_LIBRARY_PATH");
  }
  lines.push(`exec ${quote(target)} "$@"`, "");
  return lines.join("\n");
}

export function writeLauncher(name: ToolName, target: string, libDirs: string[], about: string): string {
  const path = toolPath(name);
  mkdirSync(toolsBin, { recursive: true });
  rmSync(path, { force: true });
  writeFileSync(path, launcherScript(target, libDirs, about));
  chmodSync(path, 0o755);
  return path;
}

export function linkTool(name: ToolName, target: string): string {
  const path = toolPath(name);
  mkdirSync(toolsBin, { recursive: true });
  rmSync(path, { force: true });
  symlinkSync(target, path);
  return path;
}

export function removeLaunchers(names: readonly ToolName[]): void {
  for (const name of names) rmSync(toolPath(name), { force: true });
}
