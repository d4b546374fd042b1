// Resident memory and open file descriptors of running processes, read from /proc (Linux), and the
// flatness verdict the soak run applies to them. Pure apart from the /proc reads.
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessSample {
  atS: number;
  rssKiB: number;
  fds: number;
  /** Open connections the process reports itself (Envoy: downstream + upstream `cx_active`), taken
   *  with the fd count. A connection pool that grows to the peak concurrency holds one fd per
   *  connection; those are bounded, not leaked, so the fd verdict looks at the fds besides them. */
  connections?: number;
}

/** VmRSS (KiB) and the number of entries in /proc/<pid>/fd; undefined once the process is gone. */
export function sampleProcess(pid: number, atS: number, connections?: number): ProcessSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN);
    return { atS, rssKiB: rss, fds: readdirSync(`/proc/${pid}/fd`).length, connections };
  } catch {
    return undefined;
  }
}

/** Envoy's open connections from its flat /stats: every listener's `downstream_cx_active` and every
 *  cluster's `upstream_cx_active` (the `http.*` copies of the downstream gauge are not added twice). */
export function envoyOpenConnections(stats: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const [name, value] of stats) {
    if (/^listener\..+\.downstream_cx_active$/.test(name) || /^cluster\..+\.upstream_cx_active$/.test(name))
      total += value;
  }
  return total;
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
  /** Fds besides the open connections (all fds where no connection count was sampled): the first
   *  and last sample. */
  firstOtherFds: number;
  lastOtherFds: number;
  /** RSS of the last third minus the first third of the window, as a fraction of the median:
   *  a slow leak shows here even inside the band. */
  drift: number;
  flat: boolean;
  fdsStable: boolean;
}

/** Judges the samples taken after warm-up: RSS within ±`tolerance` of its median, and the fds besides
 *  open connections at the end no higher than at the start plus `fdSlack` (fds and connection gauges
 *  are not read atomically, and a short-lived connection may open between the two reads). */
export function assessFlatness(samples: readonly ProcessSample[], tolerance = 0.1, fdSlack = 4): Flatness {
  if (samples.length === 0) throw new Error("assessFlatness: no samples after warm-up");
  const rss = samples.map((s) => s.rssKiB).sort((a, b) => a - b);
  const median = rss[Math.floor(rss.length / 2)] as number;
  const maxDeviation = Math.max(...rss.map((r) => Math.abs(r - median) / median));
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (xs: readonly ProcessSample[]) => xs.reduce((sum, s) => sum + s.rssKiB, 0) / xs.length;
  const first = samples[0] as ProcessSample;
  const last = samples[samples.length - 1] as ProcessSample;
  const otherFds = (sample: ProcessSample) => sample.fds - (sample.connections ?? 0);
  return {
    samples: samples.length,
    medianRssKiB: median,
    minRssKiB: rss[0] as number,
    maxRssKiB: rss[rss.length - 1] as number,
    maxDeviation,
    firstFds: first.fds,
    lastFds: last.fds,
    maxFds: Math.max(...samples.map((s) => s.fds)),
    firstOtherFds: otherFds(first),
    lastOtherFds: otherFds(last),
    drift: (mean(samples.slice(-third)) - mean(samples.slice(0, third))) / median,
    flat: maxDeviation <= tolerance,
    fdsStable: otherFds(last) <= otherFds(first) + fdSlack,
  };
}
