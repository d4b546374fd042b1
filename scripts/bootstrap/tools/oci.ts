// go-containerregistry's crane (pushes the OCI layouts `npm run package` writes, reads digests) and
// registry (an in-memory OCI registry on loopback for the Istio e2e). Only `--istio` asks for them.
import { rmSync } from "node:fs";
import { TOOL, toolPath, toolVersions } from "../../lib/tools.ts";
import { run } from "../exec.ts";
import { goInstall } from "../go-install.ts";
import type { ToolJob } from "../job.ts";
import { ProvisionError } from "../report.ts";

const pin = toolVersions.goContainerRegistry;

export const ociToolsJob: ToolJob = {
  key: "oci-tools",
  launchers: [TOOL.crane, TOOL.registry],
  pin,
  lane: "compile",
  requiredByBuild: false,
  plan: `crane + registry ${pin.version}: go install ${pin.goModule}/cmd/{crane,registry} (about a minute)`,
  async install() {
    for (const name of [TOOL.crane, TOOL.registry]) rmSync(toolPath(name), { force: true });
    await goInstall("crane and registry", [`${pin.goModule}/cmd/crane`, `${pin.goModule}/cmd/registry`], pin.version);
    const version = await run(toolPath(TOOL.crane), ["version"]);
    if (!version.ok || !version.out.includes(pin.version))
      throw new ProvisionError(`installed crane reports ${JSON.stringify(version.out)}, expected ${pin.version}`);
    return `built from ${pin.goModule}@v${pin.version}`;
  },
};
