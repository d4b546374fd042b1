// Reading apt-cache's stanzas and choosing what to download: the exact pin at its pinned hash, or
// under the accept policy a later version at the index's hash, and never anything else.
import { describe, expect, it } from "vitest";
import {
  chooseVersion,
  parseDepends,
  parseStanzas,
  type Stanza,
  sonamePackageGuesses,
} from "../../scripts/bootstrap/debian/control.ts";
import { ProvisionError } from "../../scripts/bootstrap/report.ts";
import type { DebianPin } from "../../scripts/lib/tools.ts";

const SHOW = `Package: redis-tools
Version: 5:7.0.15-1~deb12u10
Depends: adduser, libatomic1 (>= 4.8), libc6 (>= 2.34), libjemalloc2 (>= 3.5.0), liblzf1 (>= 1.5),
 libssl3 (>= 3.0.0), libsystemd0
Pre-Depends: init-system-helpers (>= 1.54~)
Size: 991988
SHA256: f791cfcbf3054832bd6e786546acb0d4e046888f8e63bcf567c1c65fbfaf69e2
Description: persistent key-value database with network interface (client)
 Redis is a key-value database in a similar vein to memcache.
 .
 More text.

Package: redis-tools
Version: 5:7.0.15-1~deb12u7
Depends: libc6 (>= 2.34)
Size: 990000
SHA256: aaaa

`;

const stanza = (version: string, sha256 = `sha-${version}`): Stanza => ({
  package: "p",
  version,
  sha256,
  size: 1,
  depends: [],
});
const pin = (version: string, sha?: string): DebianPin => ({
  package: "p",
  version,
  sha256: sha ? { amd64: sha } : {},
});

describe("apt-cache show stanzas", () => {
  it("reads every version with folded Depends and Pre-Depends first", () => {
    const [newest, older] = parseStanzas(SHOW);
    expect(newest?.version).toBe("5:7.0.15-1~deb12u10");
    expect(newest?.size).toBe(991988);
    expect(newest?.sha256).toMatch(/^f791/);
    expect(newest?.depends.map((g) => g.join("|"))).toEqual([
      "init-system-helpers",
      "adduser",
      "libatomic1",
      "libc6",
      "libjemalloc2",
      "liblzf1",
      "libssl3",
      "libsystemd0",
    ]);
    expect(older?.version).toBe("5:7.0.15-1~deb12u7");
  });

  it("parses alternatives, architecture qualifiers and restrictions", () => {
    expect(parseDepends("libgtk-3-0 | xdg-desktop-portal-backend, zlib1g:any (>= 1:1.2), foo [amd64]")).toEqual([
      ["libgtk-3-0", "xdg-desktop-portal-backend"],
      ["zlib1g"],
      ["foo"],
    ]);
    expect(parseDepends("")).toEqual([]);
  });
});

describe("choosing a version", () => {
  it("takes the exact pin when it carries the pinned hash", () => {
    const c = chooseVersion(pin("1.0-1", "sha-1.0-1"), "same-upstream", [stanza("1.0-1"), stanza("1.0-2")], "amd64");
    expect(c.stanza.version).toBe("1.0-1");
    expect(c.note).toBeUndefined();
  });

  it("refuses the exact pin when the index gives it another hash", () => {
    expect(() => chooseVersion(pin("1.0-1", "other"), "same-upstream", [stanza("1.0-1")], "amd64")).toThrow(
      ProvisionError,
    );
  });

  it("takes the newest security update of the same upstream when the pin has left the mirror", () => {
    const offered = [stanza("1.0-3"), stanza("1.0-2"), stanza("1.1-1"), stanza("0.9-9")];
    const c = chooseVersion(pin("1.0-1", "x"), "same-upstream", offered, "amd64");
    expect(c.stanza.version).toBe("1.0-3");
    expect(c.sha256).toBe("sha-1.0-3");
    expect(c.note).toMatch(/no longer on the mirror; took 1.0-3/);
  });

  it("refuses another upstream under same-upstream, and anything older under either policy", () => {
    expect(() => chooseVersion(pin("1.0-1", "x"), "same-upstream", [stanza("1.1-1")], "amd64")).toThrow(
      /not in the package index \(offered: 1.1-1\)/,
    );
    expect(() => chooseVersion(pin("1.0-1", "x"), "newer", [stanza("0.9-1")], "amd64")).toThrow(ProvisionError);
    expect(() => chooseVersion(pin("1.0-1", "x"), "newer", [], "amd64")).toThrow(/offered: none/);
  });

  it("takes a newer upstream under the newer policy", () => {
    const c = chooseVersion(pin("156.0-1", "x"), "newer", [stanza("157.0-1"), stanza("150.0-1")], "amd64");
    expect(c.stanza.version).toBe("157.0-1");
  });

  it("on an architecture without a pinned hash takes the exact version at the index's hash", () => {
    const c = chooseVersion(pin("1.0-1", "x"), "same-upstream", [stanza("1.0-1")], "arm64");
    expect(c.sha256).toBe("sha-1.0-1");
  });
});

describe("soname → package guesses", () => {
  it.each([
    ["liblzf.so.1", "liblzf1"],
    ["libjemalloc.so.2", "libjemalloc2"],
    ["libopenh264.so.7", "libopenh264-7"],
    ["libFLAC.so.12", "libflac12"],
    ["libmpg123.so.0", "libmpg123-0"],
    ["libvorbis.so.0", "libvorbis0"],
  ])("%s → %s", (soname, guess) => {
    expect(sonamePackageGuesses(soname)).toEqual([guess]);
  });
  it("has no guess for a name without a soname version", () => {
    expect(sonamePackageGuesses("libpulsecommon-16.1.so")).toEqual([]);
  });
});
