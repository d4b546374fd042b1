// The rate-limit rules and server config the docs show are what the server accepts: every
// `yaml` block with a `domain:` in authz-server/README.md and filters/traffic-shaper/README.md goes
// through the rules parser, and the README's `rateLimit:` block through the config loader.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseCommandLine } from "../../authz-server/src/config/load.ts";
import { compileRules } from "../../authz-server/src/ratelimit/rules-source.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";

const DOCS = ["authz-server/README.md", "filters/traffic-shaper/README.md", "authz-server/src/ratelimit/README.md"];

function yamlBlocks(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), "utf8");
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe("rate-limit examples in the docs", () => {
  it("every rules example is accepted by the rules parser", () => {
    let examples = 0;
    for (const file of DOCS) {
      for (const block of yamlBlocks(file).filter((b) => /^domain:/m.test(b))) {
        expect(() => compileRules([{ path: file, text: block }]), `${file}:\n${block}`).not.toThrow();
        examples++;
      }
    }
    expect(examples).toBeGreaterThanOrEqual(2);
  });

  it("the server config example is accepted by the config loader", () => {
    const block = yamlBlocks("authz-server/README.md").find((b) => b.startsWith("rateLimit:"));
    expect(block).toBeDefined();
    const path = join(scratchDir("mw-rl-docs"), "authz.yaml");
    writeFileSync(path, block as string);
    const config = loadConfig(parseCommandLine(["--config", path]), {}, repoRoot);
    expect(config.rateLimit).toMatchObject({ grpc: { port: 9003 }, redis: { timeoutMs: 10 } });
  });
});
