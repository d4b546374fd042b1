// filters/adaptive-lb/envoy.yaml is the e2e test's config (same function, fixed ports) and real
// Envoy accepts it: `envoy --mode validate` loads the built filter and runs its on_configure.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envoyBinary, repoRoot } from "../../scripts/lib/tools.ts";
import { exampleEnvoyYaml } from "./example-envoy.ts";

const examplePath = join(repoRoot, "filters/adaptive-lb/envoy.yaml");

describe("filters/adaptive-lb/envoy.yaml", () => {
  it("is what test/adaptive-lb/example-envoy.ts generates (regenerate with the command in its header)", () => {
    expect(readFileSync(examplePath, "utf8")).toBe(exampleEnvoyYaml());
  });

  it("passes envoy --mode validate with the built filter configured", () => {
    const out = execFileSync(envoyBinary(), ["--mode", "validate", "-c", examplePath, "-l", "info"], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(out).toMatch(/configuration '.*envoy\.yaml' OK/);
  });
});
