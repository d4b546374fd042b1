// Resident memory and open file descriptors of running processes, read from /proc (Linux), and the
// flatness verdict the soak run applies to them. Pure apart from the /proc reads.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessSample {
  atS: number;
  rssKiB: number;
  fds: number;
}

/** VmRSS (KiB) and the number of entries in /proc/<pid>/fd; undefined once the process is gone. */
export function sampleProcess(pid: number, atS: number): ProcessSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN);
    return { atS, rssKiB: rss, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

export interface Flatness {
  samples: number;
  /** Median RSS after warm-up: the reference the ±tolerance band is around. */
  medianRssKiB: number;
  minRssKiB: number;
  maxRssKiB: number;
  /** Largest deviation from the median, as a fraction (0.1 = 10 %). */
  maxDeviation: number;
  firstFds: number;
  lastFds: number;
  maxFds: number;
  /** RSS of the last third minus the first third of the window, as a fraction of the median:
   *  a slow leak shows here even inside the band. */
  drift: number;
  flat: boolean;
  fdsStable: boolean;
}

/** Judges the samples taken after warm-up: RSS within ±`tolerance` of its median, and the fd count
 *  at the end no higher than at the start plus `fdSlack` (pooled connections may come and go). */
export function assessFlatness(samples: readonly ProcessSample[], tolerance = 0.1, fdSlack = 4): Flatness {
  if (samples.length === 0) throw new Error("assessFlatness: no samples after warm-up");
  const rss = samples.map((s) => s.rssKiB).sort((a, b) => a - b);
  const median = rss[Math.floor(rss.length / 2)] as number;
  const maxDeviation = Math.max(...rss.map((r) => Math.abs(r - median) / median));
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (xs: readonly ProcessSample[]) => xs.reduce((sum, s) => sum + s.rssKiB, 0) / xs.length;
  const first = samples[0] as ProcessSample;
  const last = samples[samples.length - 1] as ProcessSample;
  return {
    samples: samples.length,
    medianRssKiB: median,
    minRssKiB: rss[0] as number,
    maxRssKiB: rss[rss.length - 1] as number,
    maxDeviation,
    firstFds: first.fds,
    lastFds: last.fds,
    maxFds: Math.max(...samples.map((s) => s.fds)),
    drift: (mean(samples.slice(-third)) - mean(samples.slice(0, third))) / median,
    flat: maxDeviation <= tolerance,
    fdsStable: last.fds <= first.fds + fdSlack,
  };
}
