// Launchers and ldd reports: the sh launcher runs the program with our libraries first on
// LD_LIBRARY_PATH (keeping the caller's after them) under the same pid, and survives odd paths.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLdd } from "../../scripts/bootstrap/debian/closure.ts";
import { launcherScript } from "../../scripts/bootstrap/launcher.ts";

describe("launcher script", () => {
  it("execs the target with the library dirs first and the caller's LD_LIBRARY_PATH kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "meshward launcher '"));
    const target = join(dir, "show env");
    writeFileSync(target, '#!/bin/sh\necho "$LD_LIBRARY_PATH|$$|$1"\n');
    chmodSync(target, 0o755);
    const libs = [join(dir, "lib a"), join(dir, "lib'b")];
    for (const l of libs) mkdirSync(l);
    const launcher = join(dir, "launcher");
    writeFileSync(launcher, launcherScript(target, libs, "test"));
    chmodSync(launcher, 0o755);

    const bare = spawnSync(launcher, ["arg one"], { encoding: "utf8", env: { PATH: process.env.PATH } });
    expect(bare.stdout.trim().split("|")).toEqual([libs.join(":"), expect.any(String), "arg one"]);
    const kept = spawnSync(launcher, ["x"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, LD_LIBRARY_PATH: "/mine" },
    });
    expect(kept.stdout.split("|")[0]).toBe(`${libs.join(":")}:/mine`);
  });

  it("sets nothing when no library is needed", () => {
    expect(launcherScript("/bin/true", [], "x")).not.toMatch(/LD_LIBRARY_PATH/);
  });
});

describe("ldd report", () => {
  it("collects missing sonames and too-old libraries", () => {
    const report = parseLdd(`	linux-vdso.so.1 (0x00007fd0997e5000)
	liblzf.so.1 => not found
	libjemalloc.so.2 => not found
	libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007fd0996ea000)
/x/redis: /lib/x86_64-linux-gnu/libc.so.6: version \`GLIBC_2.38' not found (required by /x/redis)
	liblzf.so.1 => not found`);
    expect(report.missing).toEqual(["libjemalloc.so.2", "liblzf.so.1"]);
    expect(report.tooOld).toHaveLength(1);
  });
});
