// The tools the bootstrap provided really run at the pinned versions, and a tool it could not
// provide makes every test that asks for it fail with the bootstrap's own reason.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Apt } from "../../scripts/bootstrap/debian/apt.ts";
import { compareDotted } from "../../scripts/bootstrap/debian/version.ts";
import { ProvisionError } from "../../scripts/bootstrap/report.ts";
import { startPrometheus } from "../../scripts/lib/prometheus.ts";
import {
  chromiumBinary,
  installedTool,
  node24Binary,
  promtoolBinary,
  redisServerBinary,
  TOOL,
  toolVersions,
} from "../../scripts/lib/tools.ts";

describe("provisioned tools", () => {
  it("redis-server runs and reports the pinned version (or an accepted one from PATH)", () => {
    const r = spawnSync(redisServerBinary(), ["--version"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const version = /\bv=(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? "";
    expect(compareDotted(version, toolVersions.redis.minVersionOnPath)).toBeGreaterThanOrEqual(0);
  });

  it("chromium runs and reports an accepted version", () => {
    const r = spawnSync(chromiumBinary(), ["--version"], { encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const version = /(\d+\.\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? "";
    expect(compareDotted(version, toolVersions.chromium.minVersionOnPath)).toBeGreaterThanOrEqual(0);
  });

  it("node24 is the pinned Node.js 24 LTS", () => {
    const r = spawnSync(node24Binary(), ["-p", "process.versions.node + ' ' + process.release.lts"], {
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const [version, lts] = r.stdout.trim().split(" ");
    expect(version?.split(".")[0]).toBe("24");
    expect(compareDotted(version ?? "", toolVersions.node24.version)).toBeGreaterThanOrEqual(0);
    expect(lts).toBe("Krypton"); // Node 24's LTS codename: a current, non-LTS build has none
  });

  it("promtool reports the pinned Prometheus release", () => {
    const r = spawnSync(promtoolBinary(), ["--version"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const version = /version (\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? "";
    expect(compareDotted(version, toolVersions.prometheus.minVersionOnPath)).toBeGreaterThanOrEqual(0);
  });

  it("Prometheus starts on loopback and evaluates PromQL", async () => {
    const prometheus = await startPrometheus();
    try {
      const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent("vector(6) * 7")}`);
      const body = (await response.json()) as { status: string; data: { result: { value: [number, string] }[] } };
      expect(body.status).toBe("success");
      expect(body.data.result[0]?.value[1]).toBe("42");
    } finally {
      await prometheus.stop();
    }
  });
});

describe("a tool the bootstrap could not provide", () => {
  it("fails the asking test with the recorded reason", () => {
    const dir = mkdtempSync(join(tmpdir(), "meshward-tools-"));
    mkdirSync(join(dir, "failed"));
    writeFileSync(join(dir, "failed", "redis-server.txt"), "apt-get download redis-tools=5:7.0.15 failed: 404\n");
    expect(() => installedTool(TOOL.redisServer, "npm run bootstrap", dir)).toThrow(
      /redis-server is not installed; the bootstrap could not provide it:\napt-get download redis-tools=5:7.0.15 failed: 404/,
    );
  });

  it("says how to run the bootstrap when it never ran", () => {
    const dir = mkdtempSync(join(tmpdir(), "meshward-tools-"));
    expect(() => installedTool(TOOL.redisServer, "npm run bootstrap", dir)).toThrow(/run `npm run bootstrap`/);
  });

  it("names what to install when the machine has no apt", () => {
    expect(() => Apt.require("redis-server", "/nonexistent")).toThrow(ProvisionError);
    expect(() => Apt.require("redis-server", "/nonexistent")).toThrow(
      /no apt-get, apt-cache, dpkg-deb, dpkg-query, ldd; install redis-server yourself so that it is on PATH/,
    );
  });
});
