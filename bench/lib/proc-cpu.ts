// CPU time a process has used (all threads, user + system), from /proc/<pid>/stat (fields 14 and 15,
// in clock ticks of 1/CLK_TCK s; proc(5)). Resolution is one tick (10 ms at CLK_TCK=100), so runs
// must be long enough for the per-request figure to be meaningful: report the tick count too.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export const CLOCK_TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces; fields after it start behind the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
  return Number(fields[11]) + Number(fields[12]);
}

/** The live descendants of `pid` (children of every thread, recursively; proc(5) `task/<tid>/children`). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // exited
  }
  for (const tid of tids) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8");
    } catch {
      continue;
    }
    for (const child of text.trim().split(" ")) {
      if (child === "") continue;
      out.push(Number(child), ...descendants(Number(child)));
    }
  }
  return out;
}

/**
 * CPU ticks of a process and its live descendants (a server that forks workers). A descendant that
 * exits between two readings takes its ticks with it, so compare readings only while the set of
 * processes is stable (the benchmark's servers keep their workers for the whole run).
 */
export function treeCpuTicks(pid: number): number {
  let ticks = cpuTicks(pid);
  for (const child of descendants(pid)) {
    try {
      ticks += cpuTicks(child);
    } catch {
      // exited meanwhile
    }
  }
  return ticks;
}
