// ARCHITECTURE.md must stay true: every repository path it names in backticks must exist.
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
];

describe("ARCHITECTURE.md", () => {
  it("names only paths that exist", () => {
    const text = readFileSync(join(repoRoot, "ARCHITECTURE.md"), "utf8");
    const paths = [...text.matchAll(/`([^`\s]+)`/g)]
      .map((m) => m[1] as string)
      .filter((p) => TOP_LEVEL.some((top) => p === top || p.startsWith(`${top}/`)));
    expect(paths.length).toBeGreaterThan(10);
    const missing = paths.filter((p) => !existsSync(join(repoRoot, p.replace(/\/$/, ""))));
    expect(missing).toEqual([]);
  });
});
