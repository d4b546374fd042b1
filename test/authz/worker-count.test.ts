// How many worker processes a config gets: CPU limits from the cgroup, automatic mode staying at
// one process where several would disagree, and the schema refusing an unsafe explicit count.
import { describe, expect, it } from "vitest";
import { availableCpus, cgroupCpuLimit, planWorkers } from "../../authz-server/src/cluster/worker-count.ts";
import { loadConfig, parseCommandLine } from "../../authz-server/src/config/load.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

const files = (entries: Record<string, string>) => (path: string) => entries[path];

describe("CPU limit", () => {
  it("reads cgroup v2 cpu.max, rounding a fractional quota up", () => {
    expect(cgroupCpuLimit(files({ "/sys/fs/cgroup/cpu.max": "150000 100000\n" }))).toBe(2);
    expect(cgroupCpuLimit(files({ "/sys/fs/cgroup/cpu.max": "50000 100000" }))).toBe(1);
    expect(cgroupCpuLimit(files({ "/sys/fs/cgroup/cpu.max": "max 100000" }))).toBeUndefined();
  });

  it("falls back to cgroup v1 cfs quota, and to no limit", () => {
    const v1 = { "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "400000", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000" };
    expect(cgroupCpuLimit(files(v1))).toBe(4);
    expect(cgroupCpuLimit(files({ "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1" }))).toBeUndefined();
    expect(cgroupCpuLimit(files({}))).toBeUndefined();
  });

  it("takes the smaller of the limit and the CPUs Node sees", () => {
    expect(availableCpus(files({ "/sys/fs/cgroup/cpu.max": "200000 100000" }), 64)).toBe(2);
    expect(availableCpus(files({ "/sys/fs/cgroup/cpu.max": "800000 100000" }), 4)).toBe(4);
    expect(availableCpus(files({}), 3)).toBe(3);
  });
});

describe("planWorkers", () => {
  const base = defaultConfig(repoRoot);

  it("uses one worker per CPU by default, or the configured count", () => {
    expect(planWorkers(base, 4)).toMatchObject({ workers: 4 });
    expect(planWorkers({ ...base, workers: 3 }, 8)).toEqual({ workers: 3, reason: "configured" });
  });

  it("stays at one process with risk state in memory or with the live page, unless told", () => {
    expect(planWorkers({ ...base, risk: { config: {} } }, 4).workers).toBe(1);
    expect(planWorkers({ ...base, risk: { config: {}, redisUrl: "redis://r:6379" } }, 4).workers).toBe(4);
    expect(planWorkers({ ...base, dashboard: { enabled: true } }, 4).workers).toBe(1);
    const rateLimit = {
      rulesFile: "r.yaml",
      pollIntervalMs: 0,
      headers: "limited" as const,
      bounds: { maxDescriptors: 8, maxEntries: 8, maxValueLength: 64 },
    };
    expect(planWorkers({ ...base, rateLimit }, 4).workers).toBe(1);
    const shared = { ...rateLimit, redis: { url: "redis://r:6379", timeoutMs: 10, keyPrefix: "mw:rl:" } };
    expect(planWorkers({ ...base, rateLimit: shared }, 4).workers).toBe(4);
  });

  it("is set by --workers and MESHWARD_AUTHZ_WORKERS; refuses several workers with in-memory risk state", () => {
    expect(loadConfig(parseCommandLine(["--workers", "2"]), {}, repoRoot).workers).toBe(2);
    expect(loadConfig(parseCommandLine([]), { MESHWARD_AUTHZ_WORKERS: "3" }, repoRoot).workers).toBe(3);
    expect(() => loadConfig(parseCommandLine(["--workers", "65"]), {}, repoRoot)).toThrow(/workers/);
    expect(() =>
      loadConfig(
        parseCommandLine(["--workers", "2", "--config", `${repoRoot}/scripts/sandbox/authz-sandbox.yaml`]),
        {},
        repoRoot,
      ),
    ).toThrow(/risk\.redisUrl/);
  });
});
