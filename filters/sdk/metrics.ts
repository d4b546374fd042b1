// Metrics (proxy_define_metric / increment / record / get). Envoy stores a metric as `wasmcustom.<name>`; /stats shows
// `<name>`, Prometheus `<name>` sanitised WITHOUT the envoy_ prefix (a name starting with a digit
// is dropped). Defining the same name again (another worker) maps to the same stat, so counters
// aggregate across workers. Counter: increment needs delta > 0 (else BadArgument), record ADDS.
// Gauge: increment adds/subtracts, record SETS (workers overwrite each other — prefer ± increments).
// Histogram: record only; increment and get are BadArgument.
import { MetricType, WasmResult } from "./enums";
import { proxy_define_metric, proxy_get_metric, proxy_increment_metric, proxy_record_metric } from "./imports";
import { encodeA, RETURN_U32, RETURN_U64, scratchSizeA } from "./memory";
import { recordStatus } from "./status";

export class Metric {
  /** True when define succeeded; calls on an undefined metric return NotFound without a host call. */
  readonly defined: bool;

  private constructor(
    public readonly type: MetricType,
    public readonly id: u32,
    defined: bool,
  ) {
    this.defined = defined;
  }

  /** Defines (or re-binds) `name`. Call from on_vm_start/on_configure, not per request. */
  static define(type: MetricType, name: string): Metric {
    const namePtr = encodeA(name);
    const status = recordStatus(proxy_define_metric(<u32>type, namePtr, scratchSizeA(), RETURN_U32));
    return new Metric(type, status == WasmResult.Ok ? load<u32>(RETURN_U32) : 0, status == WasmResult.Ok);
  }

  /** A placeholder that was never defined (no host call): every operation returns NotFound. */
  static none(type: MetricType): Metric {
    return new Metric(type, 0, false);
  }

  static counter(name: string): Metric {
    return Metric.define(MetricType.Counter, name);
  }

  static gauge(name: string): Metric {
    return Metric.define(MetricType.Gauge, name);
  }

  static histogram(name: string): Metric {
    return Metric.define(MetricType.Histogram, name);
  }

  increment(delta: i64): u32 {
    if (!this.defined) return recordStatus(WasmResult.NotFound);
    return recordStatus(proxy_increment_metric(this.id, delta));
  }

  record(value: u64): u32 {
    if (!this.defined) return recordStatus(WasmResult.NotFound);
    return recordStatus(proxy_record_metric(this.id, value));
  }

  /** Current value; `fallback` when undefined or a histogram (lastStatus() BadArgument). */
  get(fallback: u64): u64 {
    if (!this.defined) {
      recordStatus(WasmResult.NotFound);
      return fallback;
    }
    const status = recordStatus(proxy_get_metric(this.id, RETURN_U64));
    return status == WasmResult.Ok ? load<u64>(RETURN_U64) : fallback;
  }
}
