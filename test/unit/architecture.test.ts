// ARCHITECTURE.md must stay true: every path it names in backticks is a full repository path that
// exists. A backticked word is a path when it ends in a file extension or a slash; words such as
// entrypoints (`meshward/zerotrust/decision`), URL paths (`/healthz`), placeholders and globs are not.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/tools.ts";

const TOP_LEVEL = [
  "filters",
  "authz-server",
  "policy",
  "manifests",
  "bench",
  "test",
  "scripts",
  "docs",
  "asconfig.json",
  ".ci",
  ".tools",
  "README.md",
  "RELIABILITY.md",
  "CHANGELOG.md",
];

const FILE_LIKE = /(\.(ts|mjs|js|json|ya?ml|md|rego|html|proto|wasm)|\/)$/;

describe("ARCHITECTURE.md", () => {
  const text = readFileSync(join(repoRoot, "ARCHITECTURE.md"), "utf8");
  const words = [...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1] as string);
  const underTopLevel = (p: string) => TOP_LEVEL.some((top) => p === top || p.startsWith(`${top}/`));

  it("names only paths that exist", () => {
    const paths = words.filter(underTopLevel);
    expect(paths.length).toBeGreaterThan(100);
    const missing = paths.filter((p) => !existsSync(join(repoRoot, p.replace(/\/$/, ""))));
    expect(missing).toEqual([]);
  });

  it("names files by their full path only", () => {
    const short = words.filter((w) => FILE_LIKE.test(w) && !/^\/|[<*]/.test(w) && !underTopLevel(w));
    expect(short).toEqual([]);
  });
});
