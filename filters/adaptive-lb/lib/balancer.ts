/**
 * The adaptive balancer of one cluster: joins the load metric (peak-EWMA × (pending + 1) / weight,
 * `peak-ewma.ts`) with the picker (P2C, `p2c.ts`), and applies outlier ejection, slow start and
 * fault prediction. Pure: the glue passes `nowNs` and a seeded `Rng`, and translates the pick into
 * the override-host header (primary, then fallbacks for retries).
 *
 * Per request: `pick` → `onStart(slot)` → … → `onComplete(slot, rttNs, outcome)`.
 * Per pick: O(n) integer work in the known endpoints (expiry, ejection returns, eligibility), but
 * only two cost evaluations (the `exp`/`pow` calls) per host written to the header, whatever n:
 * fallbacks are chosen by P2C among the endpoints not yet picked, not by ranking all of them
 * (ranking cost 8.8 µs per request at 64 endpoints in `npm run bench:sim`'s pick-cost table).
 */
import { Rng } from "../../lib/prng";
import { NS_PER_MS, elapsedNs, laterNs, msToNs } from "../../lib/time";
import { AdaptiveLbConfig } from "./config";
import { Endpoint } from "./endpoint";
import { EndpointTable } from "./endpoint-table";
import { Outcome, isFailure } from "./outcome";
import { OutlierPolicy, maxEjectable, outlierPolicyOf } from "./outlier";
import { LoadView, pickP2c } from "./p2c";
import { loadCost } from "./peak-ewma";
import { slowStartWeight } from "./slow-start";
import { TrendPolicy, trendPolicyOf } from "./trend";

export class AdaptiveBalancer extends LoadView {
  table: EndpointTable;
  outlierPolicy: OutlierPolicy;
  trendPolicy: TrendPolicy;
  /** Slots eligible for the current pick (reused between picks). */
  private eligible: Array<i32> = new Array<i32>();
  /** Eligible slots not picked yet, for the fallbacks (reused). */
  private remaining: Array<i32> = new Array<i32>();
  /** What the LoadView currently shows P2C: `eligible` or `remaining`. */
  private candidates: Array<i32> = this.eligible;
  private nowNs: i64 = 0;
  /** Result of the last `pick`: slots, primary first. Empty = leave it to Envoy's fallback. */
  picked: Array<i32> = new Array<i32>();
  picks: i64 = 0;
  fallbacks: i64 = 0;
  ejections: i64 = 0;
  private decayNs: f64;
  private defaultRttNs: f64;

  constructor(
    public config: AdaptiveLbConfig,
    nowNs: i64,
  ) {
    super();
    this.table = new EndpointTable(config.maxEndpoints, msToNs(<f64>config.endpointTtlMs));
    this.decayNs = <f64>msToNs(<f64>config.decayMs);
    this.defaultRttNs = config.defaultRttMs * <f64>NS_PER_MS;
    this.outlierPolicy = outlierPolicyOf(config);
    this.trendPolicy = trendPolicyOf(config);
    for (let i = 0; i < config.endpoints.length; i++) this.addEndpoint(config.endpoints[i], true, nowNs);
  }

  /** Records that `address` served a response at `nowNs` (learning it if new). Slot or −1. */
  learn(address: string, nowNs: i64): i32 {
    const slot = this.table.find(address);
    if (slot >= 0) {
      const e = this.table.at(slot)!;
      e.lastSeenNs = laterNs(e.lastSeenNs, nowNs);
      return slot;
    }
    return this.addEndpoint(address, false, nowNs);
  }

  private addEndpoint(address: string, isStatic: bool, nowNs: i64): i32 {
    const e = new Endpoint(address, isStatic, this.defaultRttNs, this.decayNs, this.config.peakSensitivity, nowNs);
    return this.table.insert(e);
  }

  /**
   * Chooses endpoints for one request into `picked` (primary, then up to `maxHostsInHeader − 1`
   * distinct fallbacks, each chosen by P2C among those not picked yet) and returns how many. Returns 0 when fewer than
   * `minHealthyEndpoints` are eligible: the glue then sets no header and Envoy's fallback policy
   * decides (a balancer that knows one endpoint has nothing to balance).
   */
  pick(nowNs: i64, rng: Rng): i32 {
    this.nowNs = nowNs;
    this.picked.length = 0;
    this.refresh(nowNs);
    if (this.eligible.length < this.config.minHealthyEndpoints || this.eligible.length == 0) {
      this.fallbacks++;
      return 0;
    }
    this.candidates = this.eligible;
    const primary = pickP2c(this, rng);
    this.picked.push(this.eligible[primary]);
    this.appendFallbacks(primary, rng);
    this.picks++;
    this.table.at(this.picked[0])!.picks++;
    return this.picked.length;
  }

  /** Returns ejected endpoints whose time is up (restarting their slow start), expires stale ones. */
  private refresh(nowNs: i64): void {
    this.table.expire(nowNs);
    this.eligible.length = 0;
    const slots = this.table.slots;
    for (let i = 0; i < slots.length; i++) {
      const e = slots[i];
      if (e === null) continue;
      if (e.outlier.maybeReturn(nowNs)) e.joinedNs = nowNs;
      if (!e.outlier.ejected) this.eligible.push(i);
    }
  }

  private appendFallbacks(primary: i32, rng: Rng): void {
    const want = this.config.maxHostsInHeader;
    if (want <= 1) return;
    const rest = this.remaining;
    rest.length = 0;
    for (let c = 0; c < this.eligible.length; c++) if (c != primary) rest.push(this.eligible[c]);
    this.candidates = rest;
    while (this.picked.length < want && rest.length > 0) {
      const c = pickP2c(this, rng);
      this.picked.push(rest[c]);
      rest[c] = rest[rest.length - 1]; // swap-remove: order of the rest does not matter to P2C
      rest.pop();
    }
  }

  // LoadView over the current candidates, evaluated at the time of the current pick.
  size(): i32 {
    return this.candidates.length;
  }

  load(candidate: i32): f64 {
    return this.costOf(this.candidates[candidate], this.nowNs);
  }

  /** cost = peak-EWMA(now) × (pending + 1) / (slowStartWeight × trendWeight); ns. +∞ for a free slot. */
  costOf(slot: i32, nowNs: i64): f64 {
    const e = this.table.at(slot);
    if (e === null) return Infinity;
    return loadCost(e.ewma.costAt(nowNs), e.pending, this.weightOf(e, nowNs));
  }

  weightOf(e: Endpoint, nowNs: i64): f64 {
    const c = this.config;
    const ramp = slowStartWeight(
      nowNs,
      e.joinedNs,
      msToNs(<f64>c.slowStartWindowMs),
      c.slowStartAggression,
      c.slowStartMinWeight,
    );
    return ramp * e.trend.weight(this.trendPolicy, nowNs);
  }

  /** Fault-prediction score in [0, 1] at `nowNs` (metric / debug header). −1 for a free slot. */
  trendScore(slot: i32, nowNs: i64): f64 {
    const e = this.table.at(slot);
    return e === null ? -1 : e.trend.score(this.trendPolicy, nowNs);
  }

  /** A request was sent to `slot`. */
  onStart(slot: i32): void {
    const e = this.table.at(slot);
    if (e !== null) e.pending++;
  }

  /**
   * A request to `slot` finished after `rttNs` with `outcome`. A failure is recorded as an RTT of
   * `max(rtt, baseline) × failurePenalty`, where the baseline is the endpoint's slow (30 s) RTT
   * average, or the default RTT before any sample: a fast 503 must not make an endpoint look
   * attractive (the "fast failure" trap linkerd's load-biaser also guards against). The baseline,
   * not the current peak estimate, is multiplied so that a run of failures does not compound
   * (5^k) into an estimate that would take minutes to decay after the endpoint heals. Outcomes
   * also feed the trend and may eject the endpoint if the max-ejection budget allows (never all).
   */
  onComplete(slot: i32, rttNs: f64, outcome: Outcome, nowNs: i64): void {
    const e = this.table.at(slot);
    if (e === null) return;
    if (e.pending > 0) e.pending--;
    if (outcome == Outcome.Ignored) return;
    e.lastSeenNs = laterNs(e.lastSeenNs, nowNs);
    const failed = isFailure(outcome);
    let sample = rttNs;
    if (failed) {
      e.failures++;
      const baseline = e.trend.samples > 0 ? e.trend.slowRttNs : this.defaultRttNs;
      sample = (rttNs > baseline ? rttNs : baseline) * this.config.failurePenalty;
    }
    e.ewma.observe(sample, nowNs);
    e.trend.observe(rttNs, failed, nowNs, this.trendPolicy);
    if (
      e.outlier.record(failed, nowNs, this.outlierPolicy) &&
      this.ejectedCount() < maxEjectable(this.table.size(), this.outlierPolicy.maxEjectionPercent)
    ) {
      e.outlier.eject(nowNs, this.outlierPolicy);
      this.ejections++;
    }
  }

  ejectedCount(): i32 {
    let n = 0;
    const slots = this.table.slots;
    for (let i = 0; i < slots.length; i++) {
      const e = slots[i];
      if (e !== null && e.outlier.ejected) n++;
    }
    return n;
  }

  /** Header value for the last pick: "ip:port,ip:port" (primary first), "" if none. */
  headerValue(): string {
    const parts = new Array<string>();
    for (let i = 0; i < this.picked.length; i++) parts.push(this.table.at(this.picked[i])!.address);
    return parts.join(",");
  }

  /** Time since `slot` (re)joined rotation; for tests and metrics. */
  ageNs(slot: i32, nowNs: i64): i64 {
    const e = this.table.at(slot);
    return e === null ? 0 : elapsedNs(nowNs, e.joinedNs);
  }
}
