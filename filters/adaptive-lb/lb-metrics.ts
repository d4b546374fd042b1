/**
 * The adaptive-lb filter's metrics (Prometheus names `meshward_adaptive_lb_*`).
 *
 * Counters aggregate over workers (every worker defines the same name and Envoy maps it to one
 * stat) and are incremented per request, so they are exact at any scrape. Per-endpoint gauges are
 * bounded: each worker defines gauges for at most `maxEndpointGauges` distinct endpoints, the first
 * it picks or completes requests on, and never more (a stat, once defined, lives as long as the
 * plugin). The endpoint is in the name (`meshward.adaptive_lb.endpoint.127_0_0_1_8080.pending`),
 * so a `stats_tags` regex can turn it into a label.
 *
 * Gauges are snapshots, so the request path only updates this worker's values in Wasm memory (no
 * host call) and `publish` (the root context's tick, every GAUGE_PERIOD_MS) hands what changed to
 * Envoy: a scrape sees values at most one period old.
 *
 * - `pending`: requests this filter sent to the endpoint and not finished yet. Each worker adds
 *   the change of its own count since its last tick (± increments), so the value is the sum over
 *   all workers as of their last ticks.
 * - `rtt_us`, `trend_permille`: the peak-EWMA RTT (µs) and fault-prediction score (‰) as seen
 *   by the worker that finished the last request on that endpoint, computed when that request
 *   finished and set at that worker's next tick (`record` sets a gauge; workers overwrite each
 *   other, which is the best an aggregated gauge can do for an estimate).
 */
import { Metric } from "../sdk";

const PREFIX = "meshward.adaptive_lb.";

/** Period of the root context's tick that publishes the per-endpoint gauges (ms). */
export const GAUGE_PERIOD_MS: u32 = 1000;

export class EndpointGauges {
  pending: Metric;
  rttUs: Metric;
  trendPermille: Metric;
  /** This worker's requests in flight to the endpoint, and the part of it already published. */
  pendingNow: i64 = 0;
  private pendingPublished: i64 = 0;
  /** Last completion's estimates, not yet published while `estimatesDirty`. */
  private rttUsNow: u64 = 0;
  private trendPermilleNow: u64 = 0;
  private estimatesDirty: bool = false;

  constructor(address: string) {
    const base = PREFIX + "endpoint." + metricSafe(address) + ".";
    this.pending = Metric.gauge(base + "pending");
    this.rttUs = Metric.gauge(base + "rtt_us");
    this.trendPermille = Metric.gauge(base + "trend_permille");
  }

  /** A request finished on the endpoint with these estimates (published at the next tick). */
  setEstimates(rttUs: u64, trendPermille: u64): void {
    this.rttUsNow = rttUs;
    this.trendPermilleNow = trendPermille;
    this.estimatesDirty = true;
  }

  /** Hands what changed since the last call to Envoy: 0 to 3 host calls. */
  publish(): void {
    const delta = this.pendingNow - this.pendingPublished;
    if (delta != 0) {
      this.pending.increment(delta);
      this.pendingPublished = this.pendingNow;
    }
    if (!this.estimatesDirty) return;
    this.estimatesDirty = false;
    this.rttUs.record(this.rttUsNow);
    this.trendPermille.record(this.trendPermilleNow);
  }
}

export class LbMetrics {
  /** Requests that got the header written (primary + fallbacks). */
  picks: Metric = Metric.counter(PREFIX + "picks");
  /** Requests left to Envoy's fallback policy (fewer than minHealthyEndpoints eligible). */
  fallbacks: Metric = Metric.counter(PREFIX + "fallbacks");
  /** Requests left to Envoy's fallback on purpose, to discover endpoints (main.ts EXPLORE_EVERY). */
  explorations: Metric = Metric.counter(PREFIX + "explorations");
  /** Endpoints ejected by outlier detection (on some worker). */
  ejections: Metric = Metric.counter(PREFIX + "ejections");
  /** Requests that arrived with a client-supplied copy of the endpoint header (removed). */
  clientHeaderRemoved: Metric = Metric.counter(PREFIX + "client_header_removed");
  /** Picked requests that Envoy served elsewhere (primary left the cluster, or a retry). */
  servedElsewhere: Metric = Metric.counter(PREFIX + "served_elsewhere");
  /** Picked requests that finished without reaching an upstream (local reply, reset). */
  unserved: Metric = Metric.counter(PREFIX + "unserved");
  private gauges: Map<string, EndpointGauges> = new Map<string, EndpointGauges>();
  /** The same gauges in definition order, for `publish` (no Map iteration allocation). */
  private gaugeList: Array<EndpointGauges> = new Array<EndpointGauges>();

  constructor(private maxEndpointGauges: i32) {}

  /** Gauges of `address`, defined on first use while under the cap; null past it. */
  endpoint(address: string): EndpointGauges | null {
    if (this.gauges.has(address)) return this.gauges.get(address);
    if (this.gauges.size >= this.maxEndpointGauges) return null;
    const g = new EndpointGauges(address);
    this.gauges.set(address, g);
    this.gaugeList.push(g);
    return g;
  }

  endpointGaugeCount(): i32 {
    return this.gauges.size;
  }

  /** Tick: publishes every endpoint's changed gauges. */
  publish(): void {
    const list = this.gaugeList;
    for (let i = 0; i < list.length; i++) list[i].publish();
  }
}

/** "10.0.0.1:8080" → "10_0_0_1_8080", "[::1]:80" → "__1_80": only [A-Za-z0-9_] survive, so
 *  the stat name keeps its dot-separated structure. */
export function metricSafe(address: string): string {
  let out = "";
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    const keep = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (keep) out += String.fromCharCode(c);
    else if (c != 91 && c != 93) out += "_";
  }
  return out;
}
