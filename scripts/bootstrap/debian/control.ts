// Pure reading of Debian package metadata as `apt-cache show` prints it (deb822 stanzas), and the
// choices made from it: which version of a pinned package to take, which dependency packages could
// be looked in for a missing shared library.
import type { DebianAccept, DebianPin } from "../../lib/tools.ts";
import { ProvisionError } from "../report.ts";
import { compareDebianVersions, upstreamOf } from "./version.ts";

export interface Stanza {
  package: string;
  version: string;
  sha256: string;
  size: number;
  /** Depends and Pre-Depends: each group is a list of alternatives (package names). */
  depends: string[][];
}

/** Splits `apt-cache show` output into stanzas (blank-line separated; continuation lines folded). */
export function parseStanzas(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = "";
    for (const line of block.split("\n")) {
      if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)}\n${line.trim()}`);
      else {
        const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
        if (!m) continue;
        last = (m[1] as string).toLowerCase();
        fields.set(last, m[2] as string);
      }
    }
    const name = fields.get("package");
    const version = fields.get("version");
    if (!name || !version) continue;
    stanzas.push({
      package: name,
      version,
      sha256: fields.get("sha256") ?? "",
      size: Number(fields.get("size") ?? 0),
      depends: [...parseDepends(fields.get("pre-depends") ?? ""), ...parseDepends(fields.get("depends") ?? "")],
    });
  }
  return stanzas;
}

/** "libc6 (>= 2.34), libfoo1 | libbar2, libz:any" → [["libc6"], ["libfoo1", "libbar2"], ["libz"]]. */
export function parseDepends(field: string): string[][] {
  return field
    .split(",")
    .map((group) =>
      group
        .split("|")
        .map((alt) =>
          alt
            .trim()
            .replace(/\s*\(.*?\)\s*/g, "")
            .replace(/\s*\[.*?\]\s*/g, "")
            .replace(/:\w+$/, ""),
        )
        .filter((alt) => alt.length > 0),
    )
    .filter((group) => group.length > 0);
}

export interface Choice {
  stanza: Stanza;
  /** The SHA256 the downloaded .deb must have. */
  sha256: string;
  /** Set when the exact pin is gone and a later version was taken under the accept policy. */
  note?: string;
}

/**
 * Which version of a pinned package to download from what the index offers. The exact pin must
 * carry the pinned SHA256 (a different hash for the same version means the index or the pin is
 * wrong: refuse). Without the exact pin, the newest version the accept policy allows is taken, at
 * the hash the signed index gives, with a note saying so.
 */
export function chooseVersion(pin: DebianPin, accept: DebianAccept, offered: Stanza[], arch: string): Choice {
  const versions = offered.filter((s) => s.package === pin.package);
  const pinnedHash = pin.sha256[arch];
  const exact = versions.find((s) => s.version === pin.version);
  if (exact) {
    if (pinnedHash && exact.sha256 !== pinnedHash)
      throw new ProvisionError(
        `the package index gives ${pin.package} ${pin.version} the SHA256 ${exact.sha256}, but scripts/tool-versions.json pins ${pinnedHash}; refusing it`,
      );
    return { stanza: exact, sha256: pinnedHash ?? exact.sha256 };
  }
  const acceptable = versions
    .filter((s) => compareDebianVersions(s.version, pin.version) > 0)
    .filter((s) => accept === "newer" || upstreamOf(s.version) === upstreamOf(pin.version))
    .sort((a, b) => compareDebianVersions(b.version, a.version));
  const chosen = acceptable[0];
  if (!chosen) {
    const seen = versions.map((s) => s.version).join(", ") || "none";
    const rule =
      accept === "newer" ? "a newer version" : `a newer Debian revision of upstream ${upstreamOf(pin.version)}`;
    throw new ProvisionError(
      `${pin.package} ${pin.version} (or ${rule}) is not in the package index (offered: ${seen})`,
    );
  }
  return {
    stanza: chosen,
    sha256: chosen.sha256,
    note: `${pin.package} ${pin.version} is no longer on the mirror; took ${chosen.version} (SHA256 ${chosen.sha256} from the signed index): update scripts/tool-versions.json`,
  };
}

/**
 * Package names Debian's library packaging policy would give the package shipping `soname`:
 * libfoo.so.3 → libfoo3, libfoo2.so.7 → libfoo2-7 (a hyphen when the name ends in a digit),
 * lowercased. Used as prefixes (libvorbis.so.0 is in libvorbis0a), only to decide what to look
 * into first; the package's file list decides.
 */
export function sonamePackageGuesses(soname: string): string[] {
  const m = /^(.+?)\.so\.(\d+)/.exec(soname);
  if (!m) return [];
  const base = (m[1] as string).toLowerCase().replace(/_/g, "-");
  return [/\d$/.test(base) ? `${base}-${m[2]}` : `${base}${m[2]}`];
}
