// Prometheus and promtool (rules, alerts and their unit tests), built from Prometheus' Go module at
// the pinned release without the cloud service-discovery plugins (static, file and HTTP discovery
// remain), stamped with the release version as its own release build would be. A prometheus and
// promtool on PATH at 3.0 or later are reused. Proven by `promtool --version` and by Prometheus
// starting on loopback with an empty configuration and answering /-/ready.
import { rmSync } from "node:fs";
import { startPrometheus } from "../../lib/prometheus.ts";
import { TOOL, toolPath, toolVersions } from "../../lib/tools.ts";
import { compareDotted } from "../debian/version.ts";
import { onPathOutsideTools, run } from "../exec.ts";
import { goInstall } from "../go-install.ts";
import type { ToolJob } from "../job.ts";
import { linkTool } from "../launcher.ts";
import { ProvisionError } from "../report.ts";

const pin = toolVersions.prometheus;
const VERSION_PACKAGE = "github.com/prometheus/common/version";

/** "prometheus, version 3.16.0 (branch: ...)" → "3.16.0". */
export async function prometheusVersion(path: string): Promise<string | null> {
  const r = await run(path, ["--version"]);
  return r.ok ? (/version (\d+\.\d+\.\d+)/.exec(r.out)?.[1] ?? null) : null;
}

/** The module version `go version -m` finds in a binary built from a module (null when not). */
async function builtFromModule(path: string): Promise<string | null> {
  const r = await run("go", ["version", "-m", path]);
  return r.ok ? (new RegExp(`\\bmod\\s+${pin.goModule}\\s+(v\\S+)`).exec(r.out)?.[1] ?? null) : null;
}

async function reuseFromPath(): Promise<string | null> {
  const server = onPathOutsideTools("prometheus");
  const tool = onPathOutsideTools("promtool");
  if (!server || !tool) return null;
  const versions = [await prometheusVersion(server), await prometheusVersion(tool)];
  if (!versions.every((v) => v !== null && compareDotted(v, pin.minVersionOnPath) >= 0)) return null;
  linkTool(TOOL.prometheus, server);
  linkTool(TOOL.promtool, tool);
  return `reused ${server} and ${tool} (${versions.join(", ")})`;
}

async function build(): Promise<string> {
  const installed = toolPath(TOOL.prometheus);
  if ((await builtFromModule(installed)) === `v${pin.version}` && (await prometheusVersion(installed)) === pin.release)
    return "already in .tools/bin";
  for (const name of [TOOL.prometheus, TOOL.promtool]) rmSync(toolPath(name), { force: true });
  const stamp = {
    Version: pin.release,
    Revision: `v${pin.version}`,
    Branch: "module",
    BuildUser: "meshward-bootstrap",
  };
  await goInstall("Prometheus", [`${pin.goModule}/cmd/prometheus`, `${pin.goModule}/cmd/promtool`], pin.version, {
    tags: pin.buildTags,
    ldflags: Object.entries(stamp)
      .map(([k, v]) => `-X ${VERSION_PACKAGE}.${k}=${v}`)
      .join(" "),
  });
  for (const name of [TOOL.prometheus, TOOL.promtool]) {
    const from = await builtFromModule(toolPath(name));
    if (from !== `v${pin.version}`)
      throw new ProvisionError(`${name} was built from ${from}, expected v${pin.version}`);
  }
  return `built from ${pin.goModule}@v${pin.version} (tags ${pin.buildTags.join(",")})`;
}

export const prometheusJob: ToolJob = {
  key: "prometheus",
  launchers: [TOOL.prometheus, TOOL.promtool],
  pin,
  lane: "compile",
  requiredByBuild: false,
  plan: `Prometheus ${pin.release} + promtool: go install ${pin.goModule}@v${pin.version} (several minutes on a cold Go cache)`,
  async install() {
    const source = (await reuseFromPath()) ?? (await build());
    const tool = await run(toolPath(TOOL.promtool), ["--version"]);
    if (!tool.ok) throw new ProvisionError(`promtool --version failed:\n${tool.out}`);
    const server = await startPrometheus({ binary: toolPath(TOOL.prometheus) }).catch((err: Error) => {
      throw new ProvisionError(`Prometheus did not start on loopback with an empty configuration:\n${err.message}`);
    });
    await server.stop();
    return `Prometheus ${await prometheusVersion(toolPath(TOOL.prometheus))}, answered /-/ready on loopback; ${source}`;
  },
};
