// The bootstrap as the build calls it: silent and immediate when every tool is in place, strict
// about its options, and its lock shared safely between two bootstraps on one .tools/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProvisionError, timed } from "../../scripts/bootstrap/report.ts";
import { withLock } from "../../scripts/bootstrap/state.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

const bootstrap = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/bootstrap/main.ts", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
  });

describe("bootstrap command", () => {
  it("--check finds every tool of this checkout ready, printing nothing with --quiet", () => {
    const r = bootstrap(["--check", "--quiet"]);
    expect(r.stderr + r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  it("refuses an unknown option", () => {
    const r = bootstrap(["--fast"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --fast \(known: --quiet --bench --istio --keep-going --check\)/);
  });
});

describe("start and end lines", () => {
  it("are printed for an install, with the time, and the reason when it fails", async () => {
    const lines: string[] = [];
    const report = { info: () => {}, progress: (l: string) => lines.push(l) };
    let t = 0;
    const clock = () => t;
    const ok = await timed(
      report,
      "redis",
      "redis-server 7.0.15 ...",
      async () => {
        t += 1500;
        return "Redis 7.0.15";
      },
      clock,
    );
    const failed = await timed(
      report,
      "chromium",
      "Chromium ...",
      async () => {
        t += 250;
        throw new ProvisionError("apt-get download chromium-common failed: 404");
      },
      clock,
    );
    expect(ok).toBeNull();
    expect(failed).toBe("apt-get download chromium-common failed: 404");
    expect(lines).toEqual([
      "redis: redis-server 7.0.15 ... ...",
      "redis: ready in 1.5 s (Redis 7.0.15)",
      "chromium: Chromium ... ...",
      "chromium: FAILED after 0.3 s: apt-get download chromium-common failed: 404",
    ]);
  });
});

describe("bootstrap lock", () => {
  it("takes over a lock whose holder is gone, and releases it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meshward-lock-"));
    mkdirSync(join(dir, "bootstrap.lock"));
    writeFileSync(join(dir, "bootstrap.lock", "pid"), "2147483646"); // no such process
    const waited: number[] = [];
    const result = await withLock(
      async () => existsSync(join(dir, "bootstrap.lock")),
      (pid) => waited.push(pid),
      {
        dir,
      },
    );
    expect(result).toBe(true);
    expect(waited).toEqual([]);
    expect(existsSync(join(dir, "bootstrap.lock"))).toBe(false);
  });

  it("runs two holders one after the other, never together", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meshward-lock-"));
    let inside = 0;
    let most = 0;
    const holder = () =>
      withLock(
        async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setTimeout(r, 100));
          inside--;
        },
        () => {},
        { dir },
      );
    await Promise.all([holder(), holder()]);
    expect(most).toBe(1);
  });
});
