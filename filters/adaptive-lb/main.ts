// Entry of the adaptive-lb filter: per request it removes any client copy of the endpoint header,
// asks the balancer (lib/balancer.ts) for primary + fallback endpoints and writes them into the
// header Envoy's override_host LB policy reads; in on_log it feeds back which endpoint served the
// request, its latency and outcome.
//
// State (README "State: per worker or shared"): the balancers (one per destination authority,
// destinations.ts) live in the root context, one set per plugin per worker VM; nothing goes
// through shared data on the request path.
//
// Per request the filter makes: 1 clock read + 2 header reads + 1 header write (or remove) + 1
// counter increment on the request; 1 clock read + 1 header write on the response (+ 1 property
// read and 1 header write with the debug header on); 1 clock read + 3 property reads in on_log
// (+ `upstream.num_endpoints` on one served request in EXPLORE_EVERY, + a counter on the rare
// paths). Per-endpoint gauges change in Wasm memory only and go to Envoy on the root context's
// tick (lb-metrics.ts). The `:authority` and `upstream.address` values are compared in place with
// the last authority and the picked endpoint and only decoded into new strings when they differ.
import {
  addHeader,
  BUILD_SOURCE_DIGEST,
  currentTimeNanos,
  getPropertyInt64,
  getHeaderStringReusing,
  getPropertyString,
  getPropertyStringReusing,
  HeadersStatus,
  HttpContext,
  hasHeader,
  logError,
  logInfo,
  MapType,
  MESHWARD_VERSION,
  PropertyPath,
  RootContext,
  removeHeader,
  replaceHeaderString,
  setRootContextFactory,
  setTickPeriod,
  Utf8,
} from "../sdk";
import { Rng } from "../lib/prng";
import { elapsedNs } from "../lib/time";
import { AdaptiveBalancer } from "./lib/balancer";
import { parseAdaptiveLbConfig } from "./lib/config";
import { classifyOutcome } from "./lib/outcome";
import { Destination, Destinations } from "./destinations";
import { GAUGE_PERIOD_MS, LbMetrics } from "./lb-metrics";
import { writePickHeader } from "./pick-header";
import { settle } from "./settle";

// Headers, log, delete and tick only (sdk/exports-headers.ts: no on_done, body or trailer calls).
export * from "../sdk/exports-headers";

const FILTER_NAME = "adaptive-lb";
const STAMP_NAME = new Utf8("x-meshward");
const STAMP_VALUE = new Utf8(FILTER_NAME + "/" + MESHWARD_VERSION);
const UPSTREAM_ADDRESS = PropertyPath.dotted("upstream.address");
const RESPONSE_CODE = PropertyPath.dotted("response.code");
const RESPONSE_FLAGS = PropertyPath.dotted("response.flags");
const CLUSTER_SIZE = PropertyPath.dotted("upstream.num_endpoints");
const AUTHORITY = new Utf8(":authority");

function nowNs(): i64 {
  return <i64>currentTimeNanos();
}

class AdaptiveLbRoot extends RootContext {
  destinations: Destinations | null = null;
  metrics: LbMetrics | null = null;
  header: Utf8 = new Utf8("");
  debugHeader: string = "";
  rng: Rng = new Rng(0);

  onVmStart(_vmConfiguration: ArrayBuffer): bool {
    logInfo("meshward " + FILTER_NAME + " " + MESHWARD_VERSION + " " + BUILD_SOURCE_DIGEST);
    return true;
  }

  /** Strict parse; any problem rejects the whole config with every field named in one log line. */
  onConfigure(pluginConfiguration: ArrayBuffer): bool {
    const parsed = parseAdaptiveLbConfig(String.UTF8.decode(pluginConfiguration));
    const config = parsed.config;
    if (config === null) {
      logError(FILTER_NAME + ": pluginConfig rejected: " + parsed.error);
      return false;
    }
    const now = nowNs();
    this.destinations = new Destinations(config, now);
    this.metrics = new LbMetrics(config.maxEndpointGauges);
    this.header = new Utf8(config.header);
    this.debugHeader = config.debugHeader;
    // Workers configure at different instants, so their sequences differ; not security relevant.
    this.rng = new Rng(<u64>now ^ ((<u64>this.contextId) << 32));
    setTickPeriod(GAUGE_PERIOD_MS);
    logInfo(
      FILTER_NAME +
        ": configured, header " +
        config.header +
        ", " +
        config.endpoints.length.toString() +
        " static endpoints",
    );
    return true;
  }

  /** Publishes the per-endpoint gauges this worker changed since its last tick. */
  onTick(): void {
    const metrics = this.metrics;
    if (metrics !== null) metrics.publish();
  }

  newHttpContext(contextId: u32): HttpContext {
    return new AdaptiveLbStream(contextId, this);
  }
}

class AdaptiveLbStream extends HttpContext {
  private destination: Destination | null = null;
  private startNs: i64 = 0;
  private responseNs: i64 = 0;
  private pickedSlot: i32 = -1;
  private started: bool = false;
  private settled: bool = false;

  onRequestHeaders(_headerCount: u32, _endOfStream: bool): HeadersStatus {
    const root = this.root as AdaptiveLbRoot;
    const destinations = root.destinations;
    const metrics = root.metrics;
    if (destinations === null || metrics === null) return HeadersStatus.Continue;
    // No client may steer traffic: the header is ours alone, removed or overwritten below.
    const clientSent = hasHeader(MapType.RequestHeaders, root.header);
    if (clientSent) metrics.clientHeaderRemoved.increment(1);
    const now = nowNs();
    this.startNs = now;
    this.started = true;
    let destination = destinations.single;
    if (destination === null) {
      // The last authority's own string when this one is the same: no decode, and the lookup
      // recognises it by reference (destinations.ts).
      const authority = getHeaderStringReusing(MapType.RequestHeaders, AUTHORITY, destinations.lastKey);
      destination = destinations.lookup(authority !== null ? authority : "", now);
    }
    this.destination = destination;
    const lb = destination.balancer;
    if (destination.shouldExplore()) {
      if (clientSent) removeHeader(MapType.RequestHeaders, root.header);
      metrics.explorations.increment(1);
      return HeadersStatus.Continue;
    }
    if (lb.pick(now, root.rng) == 0 || writePickHeader(lb, root.header) != 0) {
      if (clientSent) removeHeader(MapType.RequestHeaders, root.header);
      metrics.fallbacks.increment(1);
      return HeadersStatus.Continue;
    }
    const primary = lb.picked[0];
    this.pickedSlot = primary;
    lb.onStart(primary);
    metrics.picks.increment(1);
    const g = metrics.endpoint(lb.table.at(primary)!.address);
    if (g !== null) g.pendingNow++;
    return HeadersStatus.Continue;
  }

  onResponseHeaders(_headerCount: u32, _endOfStream: bool): HeadersStatus {
    this.responseNs = nowNs();
    addHeader(MapType.ResponseHeaders, STAMP_NAME, STAMP_VALUE);
    const root = this.root as AdaptiveLbRoot;
    const destination = this.destination;
    if (root.debugHeader.length > 0 && destination !== null) this.addDebugHeader(root, destination.balancer);
    return HeadersStatus.Continue;
  }

  /** "<endpoint> trend=<score>" for the endpoint that served the response (debug only). */
  private addDebugHeader(root: AdaptiveLbRoot, lb: AdaptiveBalancer): void {
    const served = getPropertyString(UPSTREAM_ADDRESS);
    if (served === null) return;
    const slot = lb.table.find(served);
    const score = slot >= 0 ? lb.trendScore(slot, this.responseNs) : 0;
    replaceHeaderString(MapType.ResponseHeaders, root.debugHeader, served + " trend=" + formatScore(score));
  }

  onLog(): void {
    this.settle();
  }

  /** Envoy calls on_log first; this covers a host or path where it did not. */
  onDelete(): void {
    this.settle();
  }

  /** Exactly once per stream, whatever path the request took (response, reset, local reply). */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    const root = this.root as AdaptiveLbRoot;
    const destination = this.destination;
    const metrics = root.metrics;
    if (!this.started || destination === null || metrics === null) return;
    const now = nowNs();
    // Usually the picked endpoint served: its address string is reused, not decoded again.
    const pickedSlot = this.pickedSlot;
    const picked = pickedSlot >= 0 ? destination.balancer.table.at(pickedSlot) : null;
    const served = getPropertyStringReusing(UPSTREAM_ADDRESS, picked !== null ? picked.address : null);
    const status = <i32>getPropertyInt64(RESPONSE_CODE, 0);
    const flags = <u64>getPropertyInt64(RESPONSE_FLAGS, 0);
    if (served !== null && destination.clusterSizeDue()) destination.clusterSize = getPropertyInt64(CLUSTER_SIZE, -1);
    const endNs = this.responseNs > 0 ? this.responseNs : now;
    const rttNs = <f64>elapsedNs(endNs, this.startNs);
    settle(destination.balancer, metrics, pickedSlot, served, rttNs, classifyOutcome(status, flags), now);
  }
}

/** Score in [0, 1] with three decimals ("0.412"). */
function formatScore(score: f64): string {
  const permille = <i32>Math.round((score < 0 ? 0 : score > 1 ? 1 : score) * 1000);
  const frac = (permille % 1000).toString();
  return (permille / 1000).toString() + "." + "000".substring(frac.length) + frac;
}

setRootContextFactory((contextId: u32): RootContext => new AdaptiveLbRoot(contextId));
