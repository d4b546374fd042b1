// The authz server's Kubernetes config and every MESHWARD_* variable the manifests set must be what
// the server itself accepts: the manifests are loaded through the server's own config loader.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ENV_FIELDS, envName, loadConfig, parseCommandLine } from "../../authz-server/src/config/load.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

const configFile = join(repoRoot, "manifests/authz-server/base/config/authz.yaml");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "schemas" ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

describe("authz server config in the manifests", () => {
  it("loads through the server's config loader", () => {
    const config = loadConfig(parseCommandLine(["--config", configFile]), {}, repoRoot);
    expect(config.grpc.port).toBe(9001);
    expect(config.http.port).toBe(8080);
    expect(config.risk).toBeDefined();
  });

  it("sets only environment variables the server reads, with values it accepts", () => {
    const known = new Map(Object.keys(ENV_FIELDS).map((field) => [envName(field), field]));
    const found: { file: string; name: string; value: string }[] = [];
    for (const file of yamlFiles(join(repoRoot, "manifests"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/name:\s*(MESHWARD_[A-Z0-9_]+)\s*,?\s*\n?\s*value:\s*"?([^"\n}]+)"?/g)) {
        found.push({ file: relative(repoRoot, file), name: m[1] as string, value: (m[2] as string).trim() });
      }
    }
    expect(found.length).toBeGreaterThanOrEqual(2);
    // The production overlay includes components/redis: its variables are read together with the
    // component's (several workers need the risk state on Redis).
    const redisUrl = found.find((f) => f.name === "MESHWARD_AUTHZ_RISK_REDIS_URL")?.value;
    for (const { file, name, value } of found) {
      expect(known.has(name), `${file}: ${name} is not read by the server`).toBe(true);
      const env: Record<string, string> = { [name]: value };
      if (file.includes("overlays/production") && redisUrl) env.MESHWARD_AUTHZ_RISK_REDIS_URL = redisUrl;
      const config = loadConfig(parseCommandLine(["--config", configFile]), env, repoRoot);
      expect(config).toBeDefined();
    }
  });
});
