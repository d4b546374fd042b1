// Configuration: one file (YAML or JSON), env overrides, flags; every error names its field.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { envName, HELP, loadConfig, parseCommandLine } from "../../authz-server/src/config/load.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { scratchDir } from "./helpers/scratch.ts";

const dir = scratchDir("mw-config");
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const load = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadConfig(parseCommandLine(argv), env, "/repo");

describe("config", () => {
  it("starts from built-in defaults (the default bundle, opa-envoy's entrypoint)", () => {
    const config = load([]);
    expect(config.bundle.source).toBe("/repo/build/policy/default.tar.gz");
    expect(config.policy.defaultEntrypoint).toBe("envoy/authz/allow");
    expect(config.check.errorStatus).toBe(403);
  });

  it("reads YAML, resolves paths relative to the file, then env, then flags", () => {
    const path = file(
      "a.yaml",
      `grpc: { port: 7000 }
bundle: { source: bundles/b.tar.gz, pollIntervalMs: 5000 }
identity:
  jwt: { jwksUrl: "http://127.0.0.1:1/jwks", audience: api, algorithms: [ES256] }
logging: { decisions: { sampleRate: 0.25, redactPaths: [parsed_body.ssn] } }
`,
    );
    const config = load(["--config", path, "--grpc-port", "7002"], {
      MESHWARD_AUTHZ_GRPC_PORT: "7001",
      MESHWARD_AUTHZ_POLICY_DRY_RUN: "true",
    });
    expect(config.grpc.port).toBe(7002);
    expect(config.policy.dryRun).toBe(true);
    expect(config.bundle.source).toBe(join(dir, "bundles/b.tar.gz"));
    expect(config.identity.jwt).toMatchObject({ audience: ["api"], algorithms: ["ES256"], header: "authorization" });
    expect(config.logging.decisions).toEqual({
      enabled: true,
      sampleRate: 0.25,
      redactPaths: ["parsed_body.ssn"],
      bodyPaths: [],
    });
    expect(load(["--config", file("b.json", '{"check": {"timeoutMs": 50}}')]).check.timeoutMs).toBe(50);
  });

  it("names the field in every error", () => {
    expect(() => load(["--config", file("c.yaml", "grpc: { prot: 1 }")])).toThrow(/grpc\.prot: unknown field/);
    expect(() => load(["--config", file("d.yaml", "bundle: { pollIntervalMs: 5 }")])).toThrow(/bundle\.pollIntervalMs/);
    expect(() =>
      load(["--config", file("e.yaml", "identity: { jwt: { jwksUrl: 'http://x', algorithms: [HS256] } }")]),
    ).toThrow(/identity\.jwt\.algorithms: HS256 is not allowed/);
    expect(() =>
      load(["--config", file("f.yaml", "identity: { jwt: { jwksUrl: 'http://x', algorithms: [none] } }")]),
    ).toThrow(/none is not allowed/);
    expect(() => load([], { MESHWARD_AUTHZ_CHECK_ERROR_STATUS: "200" })).toThrow(
      /check\.errorStatus: must be an integer 400\.\.599/,
    );
    expect(() => load([], { MESHWARD_AUTHZ_HTTP_ENABLED: "maybe" })).toThrow(
      /MESHWARD_AUTHZ_HTTP_ENABLED \(http\.enabled\)/,
    );
    expect(() => load(["--nope", "1"])).toThrow(/unknown option --nope/);
    expect(() => load(["--config", join(dir, "missing.yaml")])).toThrow(/--config .*missing\.yaml/);
    expect(() => load(["--config", file("g.yaml", "grpc: [")])).toThrow(/not valid YAML/);
    expect(() =>
      load([
        "--config",
        file("h.yaml", "bundle: { signing: { keys: { k: { algorithm: RS256, keyFile: p.pem } }, keyId: other } }"),
      ]),
    ).toThrow(/bundle\.signing\.keyId: names no key/);
  });

  it("passes the risk engine its own config section", () => {
    const config = load([
      "--config",
      file("r.yaml", "risk: { config: { levels: { medium: 20 } }, redisUrl: 'redis://127.0.0.1:6379' }"),
    ]);
    expect(config.risk).toEqual({ config: { levels: { medium: 20 } }, redisUrl: "redis://127.0.0.1:6379" });
    expect(load([]).risk).toBeUndefined();
    expect(() => load(["--config", file("r2.yaml", "risk: { redisUrl: 'http://x' }")])).toThrow(/risk\.redisUrl/);
    expect(() => load(["--config", file("r3.yaml", "risk: { config: [1] }")])).toThrow(
      /risk\.config: must be an object/,
    );
  });

  it("accepts the Kubernetes config the manifests ship", () => {
    const config = load(["--config", join(repoRoot, "manifests/authz-server/base/config/authz.yaml")]);
    expect(config.http).toMatchObject({ port: 8080, checkPathPrefix: "/ext_authz" });
    expect(config.bundle.signing?.keys.default).toEqual({
      algorithm: "ES256",
      keyFile: "/var/lib/meshward/bundle/verification-key.pem",
    });
  });

  it("documents flags and env variables in --help", () => {
    expect(parseCommandLine(["--help"]).help).toBe(true);
    expect(HELP).toContain("--config FILE");
    expect(HELP).toContain(envName("bundle.pollIntervalMs"));
    expect(envName("bundle.pollIntervalMs")).toBe("MESHWARD_AUTHZ_BUNDLE_POLL_INTERVAL_MS");
  });
});
