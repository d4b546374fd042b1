// Rules files on disk: a file, a directory (a ConfigMap volume), multi-document YAML, and reloads
// that keep the last good rules when the new ones are invalid.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type RulesLoad, RulesSource, rulesFiles } from "../../authz-server/src/ratelimit/rules-source.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";
import { MESH_RULES } from "./fixtures.ts";

const OTHER = "domain: other\ndescriptors:\n  - key: k\n    rate_limit: { unit: minute, requests_per_unit: 5 }\n";

describe("RulesSource", () => {
  it("reloads a changed file, keeps the last good rules on a bad one, and says why", () => {
    const dir = scratchDir("mw-rl-rules");
    const file = join(dir, "rules.yaml");
    writeFileSync(file, MESH_RULES);
    const loads: RulesLoad[] = [];
    const source = new RulesSource(file, { pollIntervalMs: 0, onResult: (l) => loads.push(l), nowMs: () => 42 });
    expect(source.load()).toEqual({ result: "ok", domains: 1, rules: 9 });
    const first = source.domains;
    expect(source.load().result).toBe("unchanged");
    expect(source.domains).toBe(first);

    writeFileSync(file, `${MESH_RULES}\n---\n${OTHER}`);
    expect(source.load()).toEqual({ result: "ok", domains: 2, rules: 10 });
    expect([...source.domains.keys()]).toEqual(["mesh", "other"]);
    const good = source.domains;

    writeFileSync(file, `${OTHER}\n---\n${OTHER.replace("minute", "fortnight")}`);
    const bad = source.load();
    expect(bad).toMatchObject({ result: "error" });
    expect(bad.result === "error" && bad.message).toContain(
      "rules.yaml#1.descriptors[0].rate_limit.unit: must be one of",
    );
    expect(source.domains).toBe(good);
    expect(source.status()).toMatchObject({
      domains: ["mesh", "other"],
      loadedAtMs: 42,
      lastError: expect.stringContaining("#1"),
    });

    writeFileSync(file, "domain: [unclosed");
    expect(source.load().result).toBe("error");
    writeFileSync(file, "mesh: {duplicate: 1, duplicate: 2}");
    expect(source.load()).toMatchObject({ result: "error", message: expect.stringContaining("uniq") });
    expect(source.domains).toBe(good);
    expect(loads.map((l) => l.result)).toEqual(["ok", "unchanged", "ok", "error", "error", "error"]);
  });

  it("reads a directory's rules files in name order, skipping dotfiles as a ConfigMap volume has them", () => {
    const dir = scratchDir("mw-rl-dir");
    mkdirSync(join(dir, "..2026_01_01"));
    writeFileSync(join(dir, "..2026_01_01", "b-mesh.yaml"), MESH_RULES);
    symlinkSync("..2026_01_01", join(dir, "..data"));
    symlinkSync(join("..data", "b-mesh.yaml"), join(dir, "b-mesh.yaml"));
    writeFileSync(join(dir, "a-other.yml"), OTHER);
    writeFileSync(join(dir, "README.md"), "not rules");
    expect(rulesFiles(dir).map((f) => f.slice(dir.length + 1))).toEqual(["a-other.yml", "b-mesh.yaml"]);
    const source = new RulesSource(dir, { pollIntervalMs: 0 });
    expect(source.load()).toEqual({ result: "ok", domains: 2, rules: 10 });
  });

  it("refuses an empty file set and a missing path", () => {
    const dir = scratchDir("mw-rl-empty");
    expect(new RulesSource(dir, { pollIntervalMs: 0 }).load()).toEqual({
      result: "error",
      message: "no rate-limit domain defined",
    });
    expect(new RulesSource(join(dir, "missing.yaml"), { pollIntervalMs: 0 }).load()).toMatchObject({
      result: "error",
      message: expect.stringContaining("ENOENT"),
    });
  });
});
