// The server's `rateLimit:` section: defaults, file-relative paths, env and flag, field-naming errors.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseCommandLine } from "../../authz-server/src/config/load.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";

const dir = scratchDir("mw-rl-config");
const load = (yaml: string, argv: string[] = [], env: NodeJS.ProcessEnv = {}) => {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, yaml);
  return loadConfig(parseCommandLine(["--config", path, ...argv]), env, "/repo");
};

describe("rateLimit config", () => {
  it("is absent unless configured, and fills defaults around the rules file", () => {
    expect(load("{}").rateLimit).toBeUndefined();
    expect(load("rateLimit: { rulesFile: limits/rules.yaml }").rateLimit).toEqual({
      rulesFile: join(dir, "limits/rules.yaml"),
      pollIntervalMs: 5000,
      headers: "limited",
      bounds: { maxDescriptors: 32, maxEntries: 8, maxValueLength: 512 },
    });
  });

  it("takes its own listener, Redis, from the environment and the command line", () => {
    const config = load(
      "rateLimit: { rulesFile: /r.yaml, grpc: { port: 0 }, redis: { timeoutMs: 5 } }",
      ["--ratelimit-rules", "other.yaml"],
      { MESHWARD_AUTHZ_RATE_LIMIT_REDIS_URL: "redis://redis:6379/0" },
    );
    expect(config.rateLimit).toMatchObject({
      rulesFile: join(process.cwd(), "other.yaml"),
      grpc: { host: "127.0.0.1", port: 0, maxMessageBytes: 65_536 },
      redis: { url: "redis://redis:6379/0", timeoutMs: 5, keyPrefix: "mw:rl:" },
    });
    expect(
      load("rateLimit: { rulesFile: /r.yaml, redis: { clusterNodes: [redis://a:7000, redis://b:7001] } }").rateLimit
        ?.redis?.clusterNodes,
    ).toEqual(["redis://a:7000", "redis://b:7001"]);
  });

  it.each([
    ["rateLimit: {}", "rateLimit.rulesFile: is required"],
    ["rateLimit: { rulesFile: r, rules: x }", "rateLimit.rules: unknown field"],
    ["rateLimit: { rulesFile: r, pollIntervalMs: 10 }", "rateLimit.pollIntervalMs: must be 0 (off) or >= 100"],
    ["rateLimit: { rulesFile: r, headers: some }", "rateLimit.headers: must be one of off, limited, all"],
    ["rateLimit: { rulesFile: r, redis: {} }", "rateLimit.redis.url: set exactly one of url or clusterNodes"],
    [
      "rateLimit: { rulesFile: r, redis: { url: 'http://x' } }",
      "rateLimit.redis.url: must be a redis:// or rediss:// URL",
    ],
    [
      "rateLimit: { rulesFile: r, redis: { url: 'redis://x', keyPrefix: 'a{b}' } }",
      "rateLimit.redis.keyPrefix: must not contain",
    ],
    ["rateLimit: { rulesFile: r, maxDescriptors: 0 }", "rateLimit.maxDescriptors: must be an integer 1..1000"],
    ["rateLimit: { rulesFile: r, grpc: { port: 70000 } }", "rateLimit.grpc.port: must be an integer 0..65535"],
    ["workers: 2\nrateLimit: { rulesFile: r }", "workers: more than one worker needs rateLimit.redis"],
  ])("refuses %s", (yaml, message) => {
    expect(() => load(yaml)).toThrow(message);
  });
});
