// Child processes for tests, the sandbox and benchmarks: output captured, readiness awaited with a
// deadline, and stop() that always ends the process (SIGTERM, then SIGKILL).
import { type ChildProcess, spawn } from "node:child_process";

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the process printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves with the first output line matching `pattern`; rejects on exit or after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Echo the process's output to this process's stderr, prefixed with its name. */
  echo?: boolean;
}

const OUTPUT_LIMIT = 4 * 1024 * 1024;
const running = new Set<ManagedProcess>();

export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: StartOptions = {},
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let text = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    const s = chunk.toString("utf8");
    if (text.length < OUTPUT_LIMIT) text += s;
    if (options.echo) process.stderr.write(s.replace(/^(?=.)/gm, `[${name}] `));
    for (const w of waiters) w();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
    for (const w of waiters) w();
  });

  const managed: ManagedProcess = {
    name,
    child,
    pid: child.pid,
    output: () => text,
    waitForLine(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = text.split("\n").find((l) => pattern.test(l));
          if (line !== undefined) {
            done();
            resolve(line);
          } else if (exitCode !== undefined) {
            done();
            reject(new Error(`${name} exited (code ${exitCode}) before printing ${pattern}:\n${text.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms:\n${text.slice(-4000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      running.delete(managed);
      if (exitCode !== undefined) return exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  running.add(managed);
  return managed;
}

/** Stops every process started here that is still running (for test teardown and Ctrl-C). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

process.once("exit", () => {
  for (const p of running) p.child.kill("SIGKILL");
});
