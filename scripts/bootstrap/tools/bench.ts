// Benchmark-only load generators (`npm run bootstrap -- --bench`), compiled from their Go modules.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type GoToolPin, TOOL, type ToolName, toolPath, toolsDir, toolVersions } from "../../lib/tools.ts";
import { goInstall } from "../go-install.ts";
import type { ToolJob } from "../job.ts";

const BENCH_TOOLS: Record<string, ToolName> = { hey: TOOL.hey, ghz: TOOL.ghz };

export function benchJobs(): ToolJob[] {
  return Object.entries(toolVersions.bench)
    .filter((entry): entry is [string, GoToolPin] => !entry[0].startsWith("$") && typeof entry[1] === "object")
    .map(([name, pin]) => {
      const launcher = BENCH_TOOLS[name];
      if (!launcher)
        throw new Error(`scripts/tool-versions.json: bench tool ${name} has no launcher in scripts/lib/tools.ts`);
      const versionFile = join(toolsDir, `${name}.version`);
      return {
        key: `bench:${name}`,
        launchers: [launcher],
        pin,
        lane: "compile",
        requiredByBuild: false,
        plan: `${name} ${pin.version}: go install ${pin.goModule}`,
        async install() {
          let installed = "";
          try {
            installed = readFileSync(versionFile, "utf8").trim();
          } catch {}
          if (installed === pin.version && existsSync(toolPath(launcher))) return "already in .tools/bin";
          await goInstall(name, [pin.goModule], pin.version);
          writeFileSync(versionFile, `${pin.version}\n`);
          return `built from ${pin.goModule}@v${pin.version}`;
        },
      } satisfies ToolJob;
    });
}
