// Every runtime dependency (package.json `dependencies` and what they pull in, as package-lock.json
// resolves them) declares support for the Node versions the authz server runs on: the machine's
// Node 20 and the Node 24 LTS of its container image. A new or updated package that drops either
// fails here, before `npm ci` prints EBADENGINE for it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { repoRoot, toolVersions } from "../../scripts/lib/tools.ts";

const semver = createRequire(import.meta.url)("semver") as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  engines?: { node?: string };
}

const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockEntry>;
};
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { engines: { node: string } };

describe("runtime dependencies and Node versions", () => {
  const oldest = semver.minVersion(pkg.engines.node)?.version ?? "";
  const supported = [oldest, toolVersions.node24.version];

  it("the project's engines start at a Node 20 and include the pinned Node 24", () => {
    expect(oldest).toMatch(/^20\./);
    expect(semver.satisfies(toolVersions.node24.version, pkg.engines.node)).toBe(true);
  });

  it("every runtime package declares support for both", () => {
    const runtime = Object.entries(lock.packages).filter(([path, entry]) => path !== "" && !entry.dev);
    expect(runtime.length).toBeGreaterThan(50);
    const unsupported = runtime
      .filter(([, entry]) => entry.engines?.node)
      .flatMap(([path, entry]) =>
        supported
          .filter((node) => !semver.satisfies(node, entry.engines?.node ?? "*"))
          .map((node) => `${path}@${entry.version} requires node ${entry.engines?.node}, not ${node}`),
      );
    expect(unsupported).toEqual([]);
  });

  it("fastify.inject still sends cookies with the cookie version pinned for Node 20", async () => {
    const app = Fastify();
    app.get("/", async (request) => ({ cookie: request.headers.cookie }));
    const response = await app.inject({ url: "/", cookies: { session: "a b", theme: "dark" } });
    expect(response.json()).toEqual({ cookie: "session=a%20b; theme=dark" });
    await app.close();
  });
});
