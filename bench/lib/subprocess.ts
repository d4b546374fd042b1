// Runs one benchmark script as its own Node process (so JIT state and heap of one tier do not leak
// into the next) and returns what it printed.
import { spawn } from "node:child_process";
import { repoRoot } from "../../scripts/lib/tools.ts";

export async function runBenchScript(
  script: string,
  args: string[],
  options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeFlags ?? []), "--import", "tsx", script, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => {
      chunks.push(c);
      process.stdout.write(c);
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(Buffer.concat(chunks).toString("utf8"))
        : reject(new Error(`${script} exited with code ${code}`)),
    );
  });
}
