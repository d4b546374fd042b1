// The bootstrap's own records under .tools/: which pin each tool was installed and proven at (the
// stamp, so a second run returns at once), why a tool could not be installed (read back by
// scripts/lib/tools.ts), and a lock so that two bootstraps sharing one .tools/ never install at once.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { failureRecordPath, type ToolName, toolsDir } from "../lib/tools.ts";

const stampFile = join(toolsDir, "stamp.json");

export type Stamp = Record<string, string>;

export function readStamp(): Stamp {
  try {
    const parsed = JSON.parse(readFileSync(stampFile, "utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as Stamp) : {};
  } catch {
    return {};
  }
}

export function writeStampEntry(key: string, fingerprint: string): void {
  const stamp = readStamp();
  stamp[key] = fingerprint;
  writeFileSync(stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
}

/**
 * What a tool's stamp entry must equal: a hash of its pin (comments, the "$"-keys, left out) and of
 * the place it was installed to (launchers hold absolute paths).
 */
export function fingerprint(pin: unknown): string {
  const text = JSON.stringify({ pin, at: toolsDir }, (key, value) => (key.startsWith("$") ? undefined : value));
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

export function recordFailure(names: readonly ToolName[], message: string): void {
  for (const name of names) {
    mkdirSync(join(toolsDir, "failed"), { recursive: true });
    writeFileSync(failureRecordPath(name), `${message}\n`);
  }
}

export function clearFailure(names: readonly ToolName[]): void {
  for (const name of names) rmSync(failureRecordPath(name), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `fn` holding .tools/bootstrap.lock (a directory: its creation is atomic). A lock left by a
 * process that no longer runs is taken over; a live holder is waited for, up to `waitMs`.
 */
export async function withLock<T>(
  fn: () => Promise<T>,
  onWait: (pid: number) => void,
  { dir = toolsDir, waitMs = 30 * 60_000 } = {},
): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "bootstrap.lock");
  const owner = join(lock, "pid");
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number(readFileSafe(owner));
      if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
        // A holder that died (or is between mkdir and writing its pid: give it a moment first).
        await sleep(200);
        if (Number(readFileSafe(owner)) === pid) rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) onWait(pid);
      told = true;
      if (Date.now() > deadline) throw new Error(`another bootstrap (pid ${pid}) still holds ${lock}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}
