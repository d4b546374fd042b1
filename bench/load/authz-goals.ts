// The authz tier's goals judged from one interleaved run: every comparison is the median over rounds
// of a per-round ratio (both servers measured back to back in the same round, so machine drift hits
// both alike), never a ratio of separate runs. Pure: rounds in, table rows out.
import { median } from "../lib/stats.ts";

/** One server's figures in one round. */
export interface RoundFigures {
  throughputRps: number;
  cpuUsPerCheck: number;
  /** Latency percentiles at the fixed rate, ms. */
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export type Verdict = "met" | "missed" | "not measured";

export interface GoalRow {
  goal: string;
  measured: string;
  target: string;
  verdict: Verdict;
}

/** Per-round ratios a/b of one figure (rounds where either is missing or zero are skipped). */
export function pairedRatios(
  a: readonly RoundFigures[],
  b: readonly RoundFigures[],
  key: keyof RoundFigures,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = (a[i] as RoundFigures)[key];
    const y = (b[i] as RoundFigures)[key];
    if (Number.isFinite(x) && Number.isFinite(y) && y !== 0) out.push(x / y);
  }
  return out;
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

function ratioRow(goal: string, ratios: number[], atLeast: number | undefined, atMost: number | undefined): GoalRow {
  const target = atLeast !== undefined ? `≥ ${atLeast}×` : `≤ ${atMost}×`;
  if (ratios.length === 0) return { goal, measured: "—", target, verdict: "not measured" };
  const m = median(ratios);
  const met = atLeast !== undefined ? m >= atLeast : m <= (atMost as number);
  return {
    goal,
    measured: `${fmt(m)}× (rounds: ${ratios.map((r) => fmt(r)).join(" ")})`,
    target,
    verdict: met ? "met" : "missed",
  };
}

export interface TierRounds {
  meshward: { logsOff: RoundFigures[]; logsOn: RoundFigures[] };
  /** Absent when no peer binary was given. */
  peer?: { logsOff: RoundFigures[]; logsOn: RoundFigures[] };
  /** Meshward with the risk engine, on the in-memory store and on Redis (same request). */
  risk?: { memory: RoundFigures[]; redis: RoundFigures[] };
}

export interface GoalTargets {
  throughputVsPeer: number;
  cpuVsPeer: number;
  p99VsPeer: number;
  p99Ms: number;
  redisVsMemoryCpu: number;
  inProcessCheckUs: number;
}

export const GOALS: GoalTargets = {
  throughputVsPeer: 1.3,
  cpuVsPeer: 0.7,
  p99VsPeer: 1.0,
  p99Ms: 1.5,
  redisVsMemoryCpu: 1.5,
  inProcessCheckUs: 10,
};

/** The goals table: each goal with what was measured, the target and the verdict. */
export function judgeGoals(rounds: TierRounds, inProcessCheckUs: number | undefined, goals = GOALS): GoalRow[] {
  const rows: GoalRow[] = [];
  for (const [label, logs] of [
    ["decision logs off", "logsOff"],
    ["decision logs on", "logsOn"],
  ] as const) {
    const mine = rounds.meshward[logs];
    const peer = rounds.peer?.[logs] ?? [];
    rows.push(
      ratioRow(
        `throughput at saturation, Meshward / opa-envoy-plugin, ${label}`,
        pairedRatios(mine, peer, "throughputRps"),
        goals.throughputVsPeer,
        undefined,
      ),
      ratioRow(
        `CPU per check, Meshward / opa-envoy-plugin, ${label}`,
        pairedRatios(mine, peer, "cpuUsPerCheck"),
        undefined,
        goals.cpuVsPeer,
      ),
      ratioRow(
        `p99 at the fixed rate, Meshward / opa-envoy-plugin, ${label}`,
        pairedRatios(mine, peer, "p99Ms"),
        undefined,
        goals.p99VsPeer,
      ),
    );
    const p99 = mine.map((r) => r.p99Ms).filter(Number.isFinite);
    rows.push(
      p99.length === 0
        ? { goal: `p99 at the fixed rate, Meshward, ${label}`, measured: "—", target: "", verdict: "not measured" }
        : {
            goal: `p99 at the fixed rate, Meshward, ${label} (a quiet machine's goal)`,
            measured: `${fmt(median(p99))} ms (rounds: ${p99.map((x) => fmt(x)).join(" ")})`,
            target: `≤ ${goals.p99Ms} ms`,
            verdict: median(p99) <= goals.p99Ms ? "met" : "missed",
          },
    );
  }
  rows.push(
    ratioRow(
      "CPU per check, risk engine on Redis / on the in-memory store",
      rounds.risk ? pairedRatios(rounds.risk.redis, rounds.risk.memory, "cpuUsPerCheck") : [],
      undefined,
      goals.redisVsMemoryCpu,
    ),
  );
  rows.push(
    inProcessCheckUs === undefined
      ? { goal: "in-process Check", measured: "—", target: `≤ ${goals.inProcessCheckUs} µs`, verdict: "not measured" }
      : {
          goal: "in-process Check (CPU, default policy, identity enricher)",
          measured: `${fmt(inProcessCheckUs)} µs`,
          target: `≤ ${goals.inProcessCheckUs} µs`,
          verdict: inProcessCheckUs <= goals.inProcessCheckUs ? "met" : "missed",
        },
  );
  return rows;
}

export function goalsTable(rows: readonly GoalRow[]): string {
  return [
    "| goal | measured | goal | verdict |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.goal} | ${r.measured} | ${r.target} | ${r.verdict} |`),
  ].join("\n");
}
