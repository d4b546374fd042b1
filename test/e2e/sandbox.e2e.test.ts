// `npm start` as a newcomer runs it: the sandbox comes up, serves an allowed request, refuses a
// denied one, and Ctrl-C (SIGINT) stops Envoy, the authz server and the upstream.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { type ManagedProcess, startProcess } from "../../scripts/lib/processes.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

/** True while `pid` runs; a zombie (exited, not yet reaped) counts as stopped. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

async function stoppedWithin(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(running) && Date.now() < deadline) await sleep(50);
  return pids.filter(running);
}

describe("npm start sandbox", () => {
  let sandbox: ManagedProcess | undefined;
  afterAll(async () => {
    await sandbox?.stop();
  });

  it("serves allowed requests, refuses denied ones and stops cleanly on Ctrl-C", async () => {
    sandbox = startProcess("sandbox", process.execPath, ["--import", "tsx", "scripts/sandbox.ts", "--port", "0"], {
      cwd: repoRoot,
    });
    const line = await sandbox.waitForLine(/^sandbox: ready /, 45_000);
    const { listener } = JSON.parse(line.replace(/^sandbox: ready /, "")) as { listener: string };

    const allowed = await fetch(`${listener}/public/hello`);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("x-meshward")).toMatch(/^adaptive-lb\//);
    expect(((await allowed.json()) as { upstream: string }).upstream).toBe("sample-app");
    expect((await fetch(`${listener}/private/data`)).status).toBe(403);

    const children = execFileSync("pgrep", ["-P", String(sandbox.pid)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map(Number);
    expect(children.length).toBeGreaterThanOrEqual(2); // authz server + Envoy

    sandbox.child.kill("SIGINT");
    await sandbox.waitForLine(/^sandbox: stopped/, 15_000);
    const code = await sandbox.stop();
    expect(code).toBe(0);
    expect(await stoppedWithin(children, 5000)).toEqual([]);
    await expect(fetch(`${listener}/public/hello`)).rejects.toThrow();
  });
});
