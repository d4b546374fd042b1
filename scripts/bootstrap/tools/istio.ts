// istiod (pilot-discovery) and Istio's node agent (pilot-agent) for the Istio e2e, built from the
// istio.io/istio module at a pinned pseudo-version with the project's patch applied. The module
// cache is read-only (and `go build -overlay` refuses files under it), so the module is copied out,
// patched, and built from a throwaway module that replaces istio.io/istio with the copy. Both
// commands go through ONE `go build`, so the packages they share (most of Istio and client-go)
// compile once. Only `npm run bootstrap -- --istio` asks for it.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, TOOL, toolPath, toolsBin, toolsDir, toolVersions } from "../../lib/tools.ts";
import { onPath, run, sha256OfFile } from "../exec.ts";
import type { ToolJob } from "../job.ts";
import { ProvisionError } from "../report.ts";

const pin = toolVersions.istio;
const patchFile = join(repoRoot, pin.patch);
/** Where the patched copy, the throwaway module and Istio's Envoy bootstrap template live. */
export const istioDir = join(toolsDir, "istio");
/** pilot-agent reads it from ./var/lib/istio/envoy/envoy_bootstrap_tmpl.json under its working directory. */
export const istioBootstrapTemplate = join(istioDir, "envoy_bootstrap_tmpl.json");

const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" });

async function go(args: string[], cwd: string, timeoutMs = 10 * 60_000): Promise<string> {
  if (!onPath("go"))
    throw new ProvisionError(
      "Go is required to build istiod (https://go.dev/doc/install); its module asks for Go 1.26, which an older go fetches itself (GOTOOLCHAIN=auto)",
    );
  const r = await run("go", args, { cwd, env: goEnv(), timeoutMs });
  if (!r.ok) throw new ProvisionError(`go ${args.join(" ")} failed:\n${r.out.split("\n").slice(-25).join("\n")}`);
  return r.stdout;
}

/** Copies the pinned module out of the module cache and applies the patch (a fresh copy every time). */
async function patchedSource(): Promise<string> {
  const src = join(istioDir, "src");
  const module = `${pin.goModule}@v${pin.version}`;
  const info = JSON.parse(await go(["mod", "download", "-json", module], repoRoot)) as { Dir?: string };
  if (!info.Dir) throw new ProvisionError(`go mod download ${module} named no directory`);
  rmSync(src, { recursive: true, force: true });
  cpSync(info.Dir, src, { recursive: true });
  // Files in the module cache are read-only; the copy must be writable for the patch.
  const chmod = await run("chmod", ["-R", "u+w", src]);
  if (!chmod.ok) throw new ProvisionError(`chmod -R u+w ${src}: ${chmod.out}`);
  const patched = await run("patch", ["-p1", "--forward", "--batch", "-d", src, "-i", patchFile]);
  if (!patched.ok) throw new ProvisionError(`${pin.patch} does not apply to ${module}:\n${patched.out}`);
  return src;
}

async function build(src: string): Promise<void> {
  const mod = join(istioDir, "build");
  mkdirSync(mod, { recursive: true });
  writeFileSync(
    join(mod, "go.mod"),
    [
      "module meshward.invalid/istio-build",
      "",
      "go 1.26.0",
      "",
      `require ${pin.goModule} v${pin.version}`,
      "",
      `replace ${pin.goModule} => ${src}`,
      "",
    ].join("\n"),
  );
  // Two compile jobs: the 2-core machines this runs on stay usable for the rest of the bootstrap.
  await go(
    [
      "build",
      "-p=2",
      "-trimpath",
      "-ldflags=-s -w",
      "-o",
      toolsBin,
      `${pin.goModule}/pilot/cmd/pilot-discovery`,
      `${pin.goModule}/pilot/cmd/pilot-agent`,
    ],
    mod,
    60 * 60_000,
  );
}

export const istioJob: ToolJob = {
  key: "istio",
  launchers: [TOOL.pilotDiscovery, TOOL.pilotAgent],
  // The patch is part of what the binaries were built from: editing it rebuilds them.
  pin: {
    ...pin,
    patchSha256: existsSync(patchFile) ? createHash("sha256").update(readFileSync(patchFile)).digest("hex") : "",
  },
  lane: "compile",
  requiredByBuild: false,
  plan: `istiod + pilot-agent: go build ${pin.goModule}@v${pin.version} (${pin.release}) with ${pin.patch} (~10 min on a cold Go cache, 2 cores)`,
  async install() {
    mkdirSync(istioDir, { recursive: true });
    const src = await patchedSource();
    cpSync(join(src, "tools/packaging/common/envoy_bootstrap.json"), istioBootstrapTemplate);
    await build(src);
    const version = await run(toolPath(TOOL.pilotDiscovery), ["version", "--short"]);
    if (!version.ok) throw new ProvisionError(`the built pilot-discovery does not run: ${version.out}`);
    return `patched ${pin.goModule}@v${pin.version}, patch sha256 ${(await sha256OfFile(patchFile)).slice(0, 12)}`;
  },
};
