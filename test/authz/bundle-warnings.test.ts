// A bundle without the default entrypoint loads (routes may name theirs), but every check of a
// route that names none would be denied: the server says so at load, in the log and on /status.
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { buildBundle } from "./helpers/opa-bundle.ts";

let server: RunningServer;
const lines: string[] = [];

beforeAll(async () => {
  const config = defaultConfig(repoRoot);
  config.grpc.port = 0;
  config.http.port = 0;
  config.bundle.source = buildBundle("policy/testdata/opa-envoy", { entrypoints: ["envoy/authz/admin"] });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  server = await startAuthzServer(config, { logger: pino({ level: "info" }, sink) });
});

afterAll(() => server.close());

describe("a bundle without the default entrypoint", () => {
  it("is active, with a warning in the log and on /status naming the entrypoint", async () => {
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "bundle warning");
    expect(warning?.level).toBe(40);
    expect(warning?.warning).toMatch(
      /default entrypoint envoy\/authz\/allow is not in the bundle.*envoy\/authz\/admin/,
    );
    const status = (await (await fetch(`http://127.0.0.1:${server.httpPort}/status`)).json()) as {
      ready: boolean;
      bundle: { active: boolean; warnings?: string[] };
    };
    expect(status.ready).toBe(true);
    expect(status.bundle.warnings).toEqual([expect.stringMatching(/MW_POLICY_ENTRYPOINT/)]);
  });

  it("has no warning once a bundle with the entrypoint is active", async () => {
    const path = buildBundle("policy/testdata/opa-envoy", { entrypoints: ["envoy/authz/allow"], revision: "fixed" });
    await server.policy.activateFromFile(path);
    expect(server.policy.bundleStatus.revision).toBe("fixed");
    expect(server.policy.bundleStatus.warnings).toBeUndefined();
  });
});
