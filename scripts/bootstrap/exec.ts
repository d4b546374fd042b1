// Subprocesses for the bootstrap: asynchronous (so downloads and compiles can overlap), output
// captured and bounded, a deadline on every call.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, createReadStream } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { toolsBin } from "../lib/tools.ts";

export interface RunResult {
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, for messages. */
  out: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 10 minutes: a cold OPA or Prometheus compile on a loaded 2-core machine takes several. */
  timeoutMs?: number;
}

const OUTPUT_LIMIT = 1024 * 1024;

export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs ?? 600_000} ms)`;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 600_000);
    child.stdout.on("data", (c: Buffer) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += c.toString("utf8");
    });
    const finish = (code: number | null, extra = "") => {
      clearTimeout(timer);
      stderr += extra;
      resolve({ ok: code === 0, code, stdout, stderr, out: `${stdout}${stderr}`.trim() });
    };
    child.once("error", (err) => finish(null, `${command}: ${err.message}`));
    child.once("close", (code) => finish(code));
  });
}

/** The first executable called `name` on PATH, or null. */
export function onPath(name: string, path = process.env.PATH ?? ""): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/** Like onPath, but never one of our own launchers (a PATH that includes .tools/bin). */
export function onPathOutsideTools(name: string): string | null {
  const found = onPath(name);
  return found && !found.startsWith(`${toolsBin}/`) && dirname(found) !== toolsBin ? found : null;
}

export function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("error", reject)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => resolve(hash.digest("hex")));
  });
}
