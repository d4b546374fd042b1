// Tar archives whose bytes depend only on the files' paths, contents and executable bits: GNU tar
// with entries in sorted order, one fixed mtime, root ownership by number and normalised modes (directories
// and executables 0755, other files 0644). The GNU format has no pax headers, whose default names
// carry the tar process's pid.
import { spawnSync } from "node:child_process";

/** SOURCE_DATE_EPOCH of every entry: 2000-01-01T00:00:00Z (some tools treat 0 as "no time"). */
export const FIXED_MTIME = 946684800;

export function reproducibleTar(fromDir: string, entries: string[], outFile: string): void {
  // biome-ignore format: one option and its value per line
  const args = [
    "--create",
    "--file", outFile,
    "--directory", fromDir,
    "--format=gnu",
    "--sort=name",
    `--mtime=@${FIXED_MTIME}`,
    "--owner=0", "--group=0", "--numeric-owner",
    "--mode=u=rwX,go=rX",
    "--no-recursion",
    "--null", "--files-from=-",
  ];
  // Entries are named explicitly (--no-recursion), so tar's --sort does not order them: sorted here
  // by code unit, never in readdir order (which follows the filesystem's hash seed).
  const sorted = [...entries].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const r = spawnSync("tar", args, { input: `${sorted.join("\0")}\0`, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tar ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
}
