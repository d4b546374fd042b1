// Completes an unpacked Debian binary with the shared libraries this machine lacks, found
// mechanically: `ldd` names the sonames it cannot resolve (with what we unpacked so far on
// LD_LIBRARY_PATH), and the Depends of the packages we unpacked are where to look for them. A
// dependency the machine already has installed is never fetched; a candidate package is unpacked
// only when its file list holds a missing soname. Repeats until ldd finds everything (each newly
// unpacked library can reveal its own missing dependencies).
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { run } from "../exec.ts";
import { ProvisionError } from "../report.ts";
import type { Apt } from "./apt.ts";
import { contents, unpack } from "./apt.ts";
import { type Stanza, sonamePackageGuesses } from "./control.ts";
import { compareDebianVersions } from "./version.ts";

const SHARED_OBJECT = /\.so(\.\d+)*$/;

/** Directories under `root` holding shared objects (documentation trees skipped), for LD_LIBRARY_PATH. */
export function libraryDirs(root: string): string[] {
  const dirs: string[] = [];
  const walk = (dir: string) => {
    let hasLib = false;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!(dir === join(root, "usr") && entry.name === "share")) walk(join(dir, entry.name));
      } else if (SHARED_OBJECT.test(entry.name)) hasLib = true;
    }
    if (hasLib) dirs.push(dir);
  };
  walk(root);
  return dirs.sort();
}

export interface LddReport {
  /** Sonames the dynamic linker could not find. */
  missing: string[];
  /** "version `X' not found" lines: a library present but older than the binary needs. */
  tooOld: string[];
}

/** Parses `ldd` output. */
export function parseLdd(text: string): LddReport {
  const missing = new Set<string>();
  const tooOld = new Set<string>();
  for (const line of text.split("\n")) {
    const notFound = /^\s*(\S+)\s+=>\s+not found/.exec(line);
    if (notFound) missing.add(notFound[1] as string);
    if (/version `[^']+' not found/.test(line)) tooOld.add(line.trim());
  }
  return { missing: [...missing].sort(), tooOld: [...tooOld].sort() };
}

export async function lddReport(elfs: string[], libDirs: string[]): Promise<LddReport> {
  const env = { ...process.env, LD_LIBRARY_PATH: libDirs.join(":") };
  let text = "";
  for (const elf of elfs) text += `${(await run("ldd", [elf], { env })).out}\n`;
  return parseLdd(text);
}

/** The newest version the index offers of each name. */
function newest(stanzas: Stanza[]): Map<string, Stanza> {
  const best = new Map<string, Stanza>();
  for (const s of stanzas) {
    const seen = best.get(s.package);
    if (!seen || compareDebianVersions(s.version, seen.version) > 0) best.set(s.package, s);
  }
  return best;
}

/** Downloads the given versions, checks each against its SHA256, returns the .deb paths in order. */
export type Fetch = (wanted: { stanza: Stanza; sha256: string }[]) => Promise<string[]>;

/**
 * Unpacks into `root` the packages that supply what `elfs` cannot load; returns them. `unpacked`
 * are the packages already there (their Depends are the first place to look).
 */
export async function completeLibraries(
  apt: Apt,
  fetch: Fetch,
  root: string,
  elfs: string[],
  unpacked: Stanza[],
): Promise<Stanza[]> {
  const have = new Map(unpacked.map((s) => [s.package, s]));
  const inspected = new Set(have.keys());
  const added: Stanza[] = [];
  for (let round = 0; round < 40; round++) {
    const { missing, tooOld } = await lddReport(elfs, libraryDirs(root));
    if (missing.length === 0) {
      if (tooOld.length)
        throw new ProvisionError(
          `a library on this machine is older than ${basename(elfs[0] ?? "")} needs:\n${tooOld.join("\n")}`,
        );
      return added;
    }
    const groups = [...have.values()].flatMap((s) => s.depends);
    const installed = await apt.installed([...new Set(groups.flat())]);
    const frontier = [
      ...new Set(
        groups
          .filter((group) => !group.some((name) => installed.has(name) || have.has(name)))
          .flat()
          .filter((name) => !inspected.has(name)),
      ),
    ];
    if (frontier.length === 0)
      throw new ProvisionError(
        `${basename(elfs[0] ?? "")} needs ${missing.join(", ")}, which neither this machine has nor any Debian dependency of ${[...have.keys()].join(", ")} provides`,
      );
    const guessed = frontier.filter((name) =>
      missing.some((soname) => sonamePackageGuesses(soname).some((g) => name.startsWith(g))),
    );
    const batch = guessed.length ? guessed : frontier;
    const offered = newest(await apt.show(batch));
    for (const name of batch) inspected.add(name); // names without a stanza are virtual packages
    const candidates = batch.flatMap((name) => {
      const stanza = offered.get(name);
      return stanza ? [stanza] : [];
    });
    const debs = await fetch(candidates.map((stanza) => ({ stanza, sha256: stanza.sha256 })));
    for (const [i, deb] of debs.entries()) {
      const stanza = candidates[i] as Stanza;
      const files = (await contents(deb)).map((f) => basename(f));
      if (!files.some((f) => missing.includes(f))) continue;
      await unpack(deb, root);
      have.set(stanza.package, stanza);
      added.push(stanza);
    }
  }
  throw new ProvisionError(`could not complete the libraries of ${elfs.join(", ")} in 40 rounds`);
}
