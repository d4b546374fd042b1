// CPU time a process has used (all threads, user + system), from /proc/<pid>/stat (fields 14 and 15,
// in clock ticks of 1/CLK_TCK s; proc(5)). Resolution is one tick (10 ms at CLK_TCK=100), so runs
// must be long enough for the per-request figure to be meaningful: report the tick count too.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export const CLOCK_TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces; fields after it start behind the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
  return Number(fields[11]) + Number(fields[12]);
}
