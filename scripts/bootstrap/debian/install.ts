// Installs one Debian-packaged tool under .tools/<id>/root: the pinned packages (version chosen by
// chooseVersion, hash checked), then the libraries the machine lacks (completeLibraries). Writes
// .tools/<id>/packages.json, the record of exactly what was unpacked.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type DebianToolPin, toolsDir } from "../../lib/tools.ts";
import { sha256OfFile } from "../exec.ts";
import { ProvisionError } from "../report.ts";
import { Apt, unpack } from "./apt.ts";
import { completeLibraries, libraryDirs } from "./closure.ts";
import { chooseVersion, type Stanza } from "./control.ts";

export interface DebianInstall {
  root: string;
  /** For the launcher's LD_LIBRARY_PATH. */
  libDirs: string[];
  pinned: Stanza[];
  libraries: Stanza[];
  /** Said to the user: pins that were replaced by a later version, and why. */
  notes: string[];
  /** Sum of the .deb sizes downloaded. */
  bytes: number;
}

export async function installDebianTool(
  id: string,
  what: string,
  pin: DebianToolPin,
  elfs: (root: string) => string[],
): Promise<DebianInstall> {
  const apt = Apt.require(what);
  // Fresh lists on every install: Debian keeps only the newest version of a package in a suite,
  // so old lists name .debs the mirror no longer has.
  await apt.update();
  const arch = await apt.arch();
  const offered = await apt.show(pin.debian.map((p) => p.package));
  const choices = pin.debian.map((p) => chooseVersion(p, pin.accept, offered, arch));

  const dir = join(toolsDir, id);
  const root = join(dir, "root");
  rmSync(dir, { recursive: true, force: true });
  let bytes = 0;
  const fetch = async (wanted: { stanza: Stanza; sha256: string }[]): Promise<string[]> => {
    const debs = await apt.download(wanted.map((w) => w.stanza));
    for (const [i, deb] of debs.entries()) {
      const { stanza, sha256 } = wanted[i] as { stanza: Stanza; sha256: string };
      const got = await sha256OfFile(deb);
      if (got !== sha256) {
        rmSync(deb, { force: true });
        throw new ProvisionError(`${stanza.package} ${stanza.version}: the .deb has SHA256 ${got}, expected ${sha256}`);
      }
      bytes += stanza.size;
    }
    return debs;
  };
  for (const deb of await fetch(choices.map((c) => ({ stanza: c.stanza, sha256: c.sha256 })))) await unpack(deb, root);
  const pinned = choices.map((c) => c.stanza);
  const libraries = await completeLibraries(apt, fetch, root, elfs(root), pinned);
  const record = (s: Stanza) => ({ package: s.package, version: s.version, sha256: s.sha256 });
  writeFileSync(
    join(dir, "packages.json"),
    `${JSON.stringify({ pinned: pinned.map(record), libraries: libraries.map(record) }, null, 2)}\n`,
  );
  return {
    root,
    libDirs: libraryDirs(root),
    pinned,
    libraries,
    notes: choices.flatMap((c) => (c.note ? [c.note] : [])),
    bytes,
  };
}

/** "redis-tools 5:7.0.15-1~deb12u10 + 2 libraries (liblzf1, libjemalloc2), 1.2 MB". */
export function describeInstall(install: DebianInstall): string {
  const pinned = install.pinned.map((s) => `${s.package} ${s.version}`).join(", ");
  const libs = install.libraries.length
    ? ` + ${install.libraries.length} librar${install.libraries.length === 1 ? "y" : "ies"} (${install.libraries.map((s) => s.package).join(", ")})`
    : "";
  return `Debian ${pinned}${libs}, ${(install.bytes / 1e6).toFixed(1)} MB downloaded`;
}
