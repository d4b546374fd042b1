// Headless Chromium for the page tests (driven by playwright-core): Debian's headless shell (the
// old headless mode, Chromium without any display code) and chromium-common (ICU data, V8
// snapshots, resource paks), unpacked into .tools/chromium with the libraries this machine lacks
// (audio, codecs, X11 client libraries on a bare Debian). A chromium or chromium-headless-shell on
// PATH at the accepted version is reused. Either way it must render about:blank to a PNG.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CHROMIUM_HEADLESS_FLAGS } from "../../lib/chromium.ts";
import { TOOL, toolPath, toolsDir, toolVersions } from "../../lib/tools.ts";
import { describeInstall, installDebianTool } from "../debian/install.ts";
import { compareDotted } from "../debian/version.ts";
import { onPathOutsideTools, run } from "../exec.ts";
import type { ToolJob } from "../job.ts";
import { linkTool, removeLaunchers, writeLauncher } from "../launcher.ts";
import { ProvisionError, type Reporter } from "../report.ts";

const pin = toolVersions.chromium;

/** "Chromium 156.0.8078.114 built on Debian ..." → "156.0.8078.114". */
export async function chromiumVersion(path: string): Promise<string | null> {
  const r = await run(path, ["--version"], { timeoutMs: 30_000 });
  return r.ok ? (/(\d+\.\d+\.\d+\.\d+)/.exec(r.out)?.[1] ?? null) : null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Renders about:blank headless to a PNG: the browser, its renderer and its compositor all ran. */
export async function proveChromiumRenders(path: string): Promise<void> {
  const probe = join(toolsDir, "probe");
  mkdirSync(probe, { recursive: true });
  const profile = mkdtempSync(join(probe, "chromium-profile-"));
  const png = join(probe, "about-blank.png");
  rmSync(png, { force: true });
  try {
    const r = await run(
      path,
      [
        ...CHROMIUM_HEADLESS_FLAGS,
        `--user-data-dir=${profile}`,
        `--screenshot=${png}`,
        "--window-size=320,200",
        "about:blank",
      ],
      { timeoutMs: 60_000 },
    );
    let head = Buffer.alloc(0);
    try {
      head = readFileSync(png).subarray(0, 8);
    } catch {}
    if (!r.ok || !head.equals(PNG_SIGNATURE))
      throw new ProvisionError(
        `Chromium (${path}) did not render about:blank headless to a PNG:\n${r.out.split("\n").slice(-15).join("\n")}`,
      );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

function reusable(): string | null {
  for (const name of ["chromium-headless-shell", "chromium"]) {
    const found = onPathOutsideTools(name);
    if (found) return found;
  }
  return null;
}

export const chromiumJob: ToolJob = {
  key: "chromium",
  launchers: [TOOL.chromium],
  pin,
  lane: "download",
  requiredByBuild: false,
  plan: `Chromium ${pin.version} headless: Debian ${pin.debian.map((d) => d.package).join(" + ")} via apt-get download (~96 MB, plus libraries)`,
  async install(report: Reporter) {
    const system = reusable();
    const systemVersion = system ? await chromiumVersion(system) : null;
    let source: string;
    if (system && systemVersion && compareDotted(systemVersion, pin.minVersionOnPath) >= 0) {
      linkTool(TOOL.chromium, system);
      source = `reused ${system}`;
    } else {
      removeLaunchers([TOOL.chromium]);
      const install = await installDebianTool("chromium", "Chromium", pin, (root) => [
        join(root, "usr/lib/chromium/chromium-headless-shell"),
      ]);
      for (const note of install.notes) report.progress(`chromium: ${note}`);
      writeLauncher(
        TOOL.chromium,
        join(install.root, "usr/lib/chromium/chromium-headless-shell"),
        install.libDirs,
        describeInstall(install),
      );
      source = describeInstall(install);
    }
    const launcher = toolPath(TOOL.chromium);
    const version = await chromiumVersion(launcher);
    if (!version) throw new ProvisionError(`${launcher} --version printed no Chromium version`);
    await proveChromiumRenders(launcher);
    return `Chromium ${version}, rendered about:blank headless; ${source}`;
  },
};
