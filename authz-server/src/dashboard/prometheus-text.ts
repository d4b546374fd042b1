// Reads the Prometheus text exposition format (version 0.0.4) as prom-client and Envoy's
// /stats/prometheus write it: `name{label="value",...} value [timestamp]`, `#` lines skipped.
// Label values unescape `\\`, `\"` and `\n`. A line that does not parse is skipped, never thrown on:
// the live page shows what it can read. Pure.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/y;

function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) return undefined;
    labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_s, c: string) => (c === "n" ? "\n" : c));
  }
  return labels;
}

/** Go's strconv forms Prometheus uses: numbers, `NaN`, `+Inf`, `-Inf`. */
function parseValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels = m[2] === undefined ? {} : parseLabels(m[2]);
    const value = parseValue(m[3] as string);
    if (labels === undefined || (Number.isNaN(value) && m[3] !== "NaN")) continue;
    samples.push({ name: m[1] as string, labels, value });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include every pair of `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** Sums of `name` grouped by the value of `label` (samples without it are left out). */
export function sumBy(samples: readonly Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const key = s.labels[label];
    if (s.name === name && key !== undefined) out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/**
 * The `q`-quantile (0 < q < 1) of a cumulative histogram `<name>_bucket{le=...}`, summed over its
 * other labels, by linear interpolation inside the bucket that holds rank q·count (as PromQL's
 * histogram_quantile). Undefined with no observations; the highest finite bound when the rank
 * falls in the +Inf bucket.
 */
export function histogramQuantile(samples: readonly Sample[], name: string, q: number): number | undefined {
  const byBound = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || s.labels.le === undefined) continue;
    const bound = parseValue(s.labels.le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + s.value);
  }
  const buckets = [...byBound.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket === 0 ? bound : lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}
