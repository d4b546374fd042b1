// redis-server for the shared risk-state tests and benchmarks: Debian's build, unpacked into
// .tools/redis with the libraries this machine lacks (liblzf, jemalloc on a bare Debian), or a
// redis-server on PATH at 7.0 or later.
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { TOOL, toolPath, toolVersions } from "../../lib/tools.ts";
import { describeInstall, installDebianTool } from "../debian/install.ts";
import { compareDotted, upstreamOf } from "../debian/version.ts";
import { onPathOutsideTools, run } from "../exec.ts";
import type { ToolJob } from "../job.ts";
import { linkTool, removeLaunchers, writeLauncher } from "../launcher.ts";
import { ProvisionError, type Reporter } from "../report.ts";

const pin = toolVersions.redis;

/** "Redis server v=7.0.15 sha=..." → "7.0.15". */
export async function redisVersion(path: string): Promise<string | null> {
  const r = await run(path, ["--version"]);
  return r.ok ? (/\bv=(\d+\.\d+\.\d+)/.exec(r.out)?.[1] ?? null) : null;
}

export const redisJob: ToolJob = {
  key: "redis",
  launchers: [TOOL.redisServer],
  pin,
  lane: "download",
  requiredByBuild: false,
  plan: `redis-server ${pin.version}: Debian ${pin.debian.map((d) => d.package).join(", ")} via apt-get download (~1 MB)`,
  async install(report: Reporter) {
    const system = onPathOutsideTools("redis-server");
    const systemVersion = system ? await redisVersion(system) : null;
    if (system && systemVersion && compareDotted(systemVersion, pin.minVersionOnPath) >= 0) {
      linkTool(TOOL.redisServer, system);
      return `reused ${system} (Redis ${systemVersion})`;
    }
    removeLaunchers([TOOL.redisServer]);
    // The server is redis-check-rdb started under the name redis-server (Redis picks its mode from
    // argv[0]); Debian's redis-server package is that symlink and nothing else we need.
    const install = await installDebianTool("redis", "redis-server", pin, (root) => [
      join(root, "usr/bin/redis-check-rdb"),
    ]);
    for (const note of install.notes) report.progress(`redis-server: ${note}`);
    const server = join(install.root, "usr/bin/redis-server");
    symlinkSync("redis-check-rdb", server);
    writeLauncher(TOOL.redisServer, server, install.libDirs, describeInstall(install));
    const got = await redisVersion(toolPath(TOOL.redisServer));
    const upstream = upstreamOf(install.pinned[0]?.version ?? "");
    if (!got || got !== upstream)
      throw new ProvisionError(`.tools/bin/redis-server --version reports ${got ?? "nothing"}, expected ${upstream}`);
    return `Redis ${got}, ${describeInstall(install)}`;
  },
};
