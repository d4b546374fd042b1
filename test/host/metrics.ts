// Envoy's custom Wasm metrics (Envoy context.cc defineMetric et al.).
// Stats live as `wasmcustom.<name>`; /stats prints `<name>`, Prometheus `<name>` sanitised without
// the envoy_ prefix. Ids are per VM with the type in the low 2 bits (counter 0, gauge 1,
// histogram 2) stepping by 4; every VM defining a name gets its own id onto the SAME stat.
// Counter: increment needs delta > 0, record adds. Gauge: increment adds/subtracts, record sets.
// Histogram: record only (increment and get are BadArgument).
import { Status } from "./shared-data.ts";

export const CUSTOM_NAMESPACE = "wasmcustom";
export type MetricKind = "counter" | "gauge" | "histogram";
const KINDS: MetricKind[] = ["counter", "gauge", "histogram"];

interface Stat {
  kind: MetricKind;
  value: bigint;
  samples: bigint[];
}

/** The process-wide stat store (shared by all VMs). */
export class MetricStore {
  readonly stats = new Map<string, Stat>();

  stat(kind: MetricKind, name: string): Stat {
    const full = `${CUSTOM_NAMESPACE}.${name}`;
    let stat = this.stats.get(full);
    if (!stat) {
      stat = { kind, value: 0n, samples: [] };
      this.stats.set(full, stat);
    }
    return stat;
  }

  /** Counters and gauges as Envoy's admin /stats prints them: `wasmcustom.<name>`. */
  flat(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, stat] of this.stats) if (stat.kind !== "histogram") out.set(name, Number(stat.value));
    return out;
  }

  /** Counters and gauges by the name /stats/prometheus gives them (see prometheusName). */
  prometheus(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, stat] of this.stats) {
      const promName = MetricStore.prometheusName(name.slice(CUSTOM_NAMESPACE.length + 1));
      if (stat.kind !== "histogram" && promName) out.set(promName, Number(stat.value));
    }
    return out;
  }

  /** Prometheus name Envoy emits for a custom metric: sanitised, no envoy_ prefix; undefined when
   *  Envoy would drop it (leading digit). */
  static prometheusName(name: string): string | undefined {
    const sanitized = name.replace(/[^a-zA-Z0-9_]/g, "_");
    return /^[0-9]/.test(sanitized) ? undefined : sanitized;
  }

  histogramSamples(name: string): bigint[] {
    return this.stats.get(`${CUSTOM_NAMESPACE}.${name}`)?.samples ?? [];
  }
}

/** One VM's metric ids. */
export class VmMetrics {
  private readonly byId = new Map<number, Stat>();
  private readonly next = [0, 1, 2];

  constructor(private readonly store: MetricStore) {}

  define(type: number, name: string): number | Status.BadArgument {
    const kind = KINDS[type];
    if (!kind) return Status.BadArgument;
    const existing = this.store.stats.get(`${CUSTOM_NAMESPACE}.${name}`);
    if (existing && existing.kind !== kind && !(existing.kind === "histogram" || kind === "histogram"))
      return Status.BadArgument;
    this.next[type] = (this.next[type] as number) + 4;
    const id = this.next[type] as number;
    this.byId.set(id, this.store.stat(kind, name));
    return id;
  }

  increment(id: number, delta: bigint): Status {
    const stat = this.byId.get(id);
    if (!stat) return Status.NotFound;
    if (stat.kind === "counter") {
      if (delta <= 0n) return Status.BadArgument;
      stat.value += delta;
      return Status.Ok;
    }
    if (stat.kind === "gauge") {
      stat.value += delta;
      return Status.Ok;
    }
    return Status.BadArgument;
  }

  record(id: number, value: bigint): Status {
    const stat = this.byId.get(id);
    if (!stat) return Status.NotFound;
    if (stat.kind === "counter") stat.value += value;
    else if (stat.kind === "gauge") stat.value = value;
    else stat.samples.push(value);
    return Status.Ok;
  }

  get(id: number): bigint | Status {
    const stat = this.byId.get(id);
    if (!stat) return Status.NotFound;
    if (stat.kind === "histogram") return Status.BadArgument;
    return stat.value;
  }
}
