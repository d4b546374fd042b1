// Meshward's Prometheus rule file (manifests/prometheus/meshward-rules.yaml) as data, and the same
// rules on a faster clock for the sandbox and the live-data test: every duration that decides how
// long something takes to fire or resolve — `for`, `keep_firing_for`, a group's `interval`, and in
// each expression the range windows (`[5m]`, subquery `[1h:1m]`) and `offset`s — divided by a
// factor. Thresholds written as plain numbers of seconds (a bundle 900 s old, keys 86400 s from
// their end) keep their production values: a scaled rule fires sooner, never on a different level.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { repoRoot } from "./tools.ts";

export const RULES_PATH = join(repoRoot, "manifests/prometheus/meshward-rules.yaml");

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export function parseRuleGroups(text: string): RuleGroup[] {
  return (parse(text) as { groups: RuleGroup[] }).groups;
}

/** The groups of manifests/prometheus/meshward-rules.yaml. */
export function meshwardRuleGroups(): RuleGroup[] {
  return parseRuleGroups(readFileSync(RULES_PATH, "utf8"));
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
/** A Prometheus duration: one or more `<integer><unit>` terms, largest unit first ("1h30m"). */
const DURATION = String.raw`(?:\d+(?:ms|[smhdwy]))+`;

export function parseDuration(text: string): number {
  if (!new RegExp(`^${DURATION}$`).test(text)) throw new Error(`not a Prometheus duration: ${JSON.stringify(text)}`);
  let ms = 0;
  for (const m of text.matchAll(/(\d+)(ms|[smhdwy])/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return ms;
}

/** Milliseconds as a Prometheus duration, largest units first: 9_000_000 → "2h30m", 1500 → "1s500ms". */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`duration must be a whole number of ms, got ${ms}`);
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const size = UNIT_MS[unit] as number;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

const scaled = (text: string, factor: number) => formatDuration(Math.max(1, Math.round(parseDuration(text) / factor)));

/** `expr` with its range windows, subquery steps and offsets divided by `factor`. */
export function scaleExpressionTimes(expr: string, factor: number): string {
  return expr
    .replace(
      new RegExp(String.raw`\[\s*(${DURATION})\s*(?::\s*(${DURATION})?\s*)?\]`, "g"),
      (all: string, range: string, step: string | undefined) => {
        const subquery = all.includes(":") ? `:${step ? scaled(step, factor) : ""}` : "";
        return `[${scaled(range, factor)}${subquery}]`;
      },
    )
    .replace(new RegExp(String.raw`\boffset\s+(-?)(${DURATION})`, "g"), (_all, sign: string, d: string) => {
      return `offset ${sign}${scaled(d, factor)}`;
    });
}

/** The groups with every firing and resolving duration divided by `factor` (> 0). */
export function scaleRuleTimes(groups: RuleGroup[], factor: number): RuleGroup[] {
  if (!(factor > 0)) throw new Error(`time scale must be > 0, got ${factor}`);
  return groups.map((group) => ({
    ...group,
    ...(group.interval ? { interval: scaled(group.interval, factor) } : {}),
    rules: group.rules.map((rule) => ({
      ...rule,
      expr: scaleExpressionTimes(rule.expr, factor),
      ...(rule.for ? { for: scaled(rule.for, factor) } : {}),
      ...(rule.keep_firing_for ? { keep_firing_for: scaled(rule.keep_firing_for, factor) } : {}),
    })),
  }));
}

export function ruleFileText(groups: RuleGroup[]): string {
  return stringify({ groups }, { lineWidth: 0 });
}
