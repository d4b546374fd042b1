// Image layers must not depend on how the files got there: listing order, timestamps, owner, umask.
import { chmodSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reproducibleTar } from "../../scripts/package/reproducible-tar.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";

function tree(root: string, when: number, mode: number): string[] {
  mkdirSync(join(root, "app/lib"), { recursive: true });
  writeFileSync(join(root, "app/lib/b.js"), "b");
  writeFileSync(join(root, "app/a.js"), "a");
  writeFileSync(join(root, "app/run"), "#!/bin/sh\n");
  chmodSync(join(root, "app/run"), 0o755);
  chmodSync(join(root, "app/a.js"), mode);
  for (const f of ["app/lib/b.js", "app/a.js", "app/run", "app/lib", "app"]) utimesSync(join(root, f), when, when);
  return ["app", "app/a.js", "app/lib", "app/lib/b.js", "app/run"];
}

describe("reproducible tar", () => {
  it("gives the same bytes whatever the entry order, mtimes and group/other permission bits", () => {
    const one = scratchDir("mw-tar-one");
    const two = scratchDir("mw-tar-two");
    const entries = tree(one, 1_000_000, 0o644);
    tree(two, 2_000_000, 0o664);
    reproducibleTar(one, entries, join(one, "out.tar"));
    reproducibleTar(two, [...entries].reverse(), join(two, "out.tar"));
    expect(readFileSync(join(two, "out.tar"))).toEqual(readFileSync(join(one, "out.tar")));
  });

  it("keeps the executable bit (a different mode gives different bytes)", () => {
    const one = scratchDir("mw-tar-exec");
    const entries = tree(one, 1_000_000, 0o644);
    reproducibleTar(one, entries, join(one, "a.tar"));
    chmodSync(join(one, "app/run"), 0o644);
    reproducibleTar(one, entries, join(one, "b.tar"));
    expect(readFileSync(join(one, "b.tar"))).not.toEqual(readFileSync(join(one, "a.tar")));
  });
});
