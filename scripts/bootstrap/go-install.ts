// `go install module/pkg@version` straight into .tools/bin (module checksums verified by Go against
// its checksum database). Static binaries: CGO off.
import { toolsBin } from "../lib/tools.ts";
import { onPath, run } from "./exec.ts";
import { ProvisionError } from "./report.ts";

export interface GoInstallOptions {
  tags?: string[];
  /** -X settings, e.g. a version variable the module's own release build would stamp. */
  ldflags?: string;
}

export async function goInstall(what: string, packages: string[], version: string, options: GoInstallOptions = {}) {
  if (!onPath("go"))
    throw new ProvisionError(
      `Go 1.22+ is required to build ${what} (https://go.dev/doc/install, or the Debian package golang)`,
    );
  const args = ["install"];
  if (options.tags?.length) args.push("-tags", options.tags.join(","));
  if (options.ldflags) args.push("-ldflags", options.ldflags);
  args.push(...packages.map((p) => `${p}@v${version}`));
  const r = await run("go", args, {
    env: { ...process.env, GOBIN: toolsBin, CGO_ENABLED: "0" },
    timeoutMs: 45 * 60_000,
  });
  if (!r.ok) throw new ProvisionError(`go ${args.join(" ")} failed:\n${r.out.split("\n").slice(-20).join("\n")}`);
}
