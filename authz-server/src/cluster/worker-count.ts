// How many processes serve checks. `workers: 0` (the default) means one per CPU the process may
// use: the container's CPU limit when there is one (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`),
// else os.availableParallelism() — Node's own count ignores CPU limits, and forking one process per
// core of a 64-core node into a 2-CPU container would only add context switches.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { AuthzConfig } from "../config/schema.ts";

type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** CPUs allowed by the cgroup's quota (rounded up), or undefined when there is no quota. */
export function cgroupCpuLimit(read: ReadText = readText): number | undefined {
  const v2 = read("/sys/fs/cgroup/cpu.max")?.trim().split(/\s+/);
  if (v2 && v2[0] !== "max") {
    const quota = Number(v2[0]);
    const period = Number(v2[1] ?? 100000);
    if (quota > 0 && period > 0) return Math.max(1, Math.ceil(quota / period));
  }
  const quota = Number(read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")?.trim());
  const period = Number(read("/sys/fs/cgroup/cpu/cpu.cfs_period_us")?.trim());
  if (quota > 0 && period > 0) return Math.max(1, Math.ceil(quota / period));
  return undefined;
}

export function availableCpus(read: ReadText = readText, parallelism = availableParallelism()): number {
  return Math.max(1, Math.min(parallelism, cgroupCpuLimit(read) ?? parallelism));
}

export interface WorkerPlan {
  workers: number;
  /** Why `workers: 0` was resolved to this count (for the start-up log line). */
  reason: string;
}

/**
 * The number of worker processes for `config`. Automatic mode stays at one process where several
 * would disagree: risk state in memory (failure counts and revocations must be one state) and the
 * live page (its recent decisions are one process's). The schema refuses an explicit count above
 * one with in-memory risk state.
 */
export function planWorkers(config: Pick<AuthzConfig, "workers" | "risk" | "dashboard">, cpus: number): WorkerPlan {
  if (config.workers > 0) return { workers: config.workers, reason: "configured" };
  if (config.risk && !config.risk.redisUrl)
    return { workers: 1, reason: "risk state in memory is per process (set risk.redisUrl to use every CPU)" };
  if (config.dashboard.enabled) return { workers: 1, reason: "the live page shows one process's decisions" };
  return { workers: cpus, reason: `one per available CPU (${cpus})` };
}
