// The OPA CLI (Rego → Wasm, `opa test`), compiled from its Go module; an opa on PATH at the pinned
// version is reused.
import { existsSync, rmSync } from "node:fs";
import { TOOL, toolPath, toolVersions } from "../../lib/tools.ts";
import { onPathOutsideTools, run } from "../exec.ts";
import { goInstall } from "../go-install.ts";
import type { ToolJob } from "../job.ts";
import { linkTool } from "../launcher.ts";
import { ProvisionError } from "../report.ts";

const pin = toolVersions.opa;

async function opaVersion(path: string): Promise<string | null> {
  const r = await run(path, ["version"]);
  return r.ok ? (/Version: v?(\d+\.\d+\.\d+)/.exec(r.out)?.[1] ?? null) : null;
}

export const opaJob: ToolJob = {
  key: "opa",
  launchers: [TOOL.opa],
  pin,
  lane: "compile",
  requiredByBuild: true,
  plan: `OPA ${pin.version}: go install ${pin.goModule} (a few minutes on a cold Go cache)`,
  async install() {
    const dest = toolPath(TOOL.opa);
    if (existsSync(dest) && (await opaVersion(dest)) === pin.version) return "already in .tools/bin";
    const system = onPathOutsideTools("opa");
    if (system && (await opaVersion(system)) === pin.version) {
      linkTool(TOOL.opa, system);
      return `reused ${system}`;
    }
    rmSync(dest, { force: true });
    await goInstall("OPA", [pin.goModule], pin.version);
    const got = await opaVersion(dest);
    if (got !== pin.version) throw new ProvisionError(`installed OPA reports version ${got}, expected ${pin.version}`);
    return `built from ${pin.goModule}@v${pin.version}`;
  },
};
