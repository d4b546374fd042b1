/**
 * Everything the balancer knows about one endpoint (an upstream `IP:port`): its peak-EWMA RTT,
 * requests in flight, outlier and slow-start state, fault-prediction trend, and bookkeeping for
 * expiry. Per Envoy worker (see README "State"): each worker balances with what it observed.
 */
import { OutlierState } from "./outlier";
import { PeakEwma } from "./peak-ewma";
import { TrendTracker } from "./trend";

export class Endpoint {
  ewma: PeakEwma;
  pending: i32 = 0;
  outlier: OutlierState;
  trend: TrendTracker = new TrendTracker();
  /** When it (re)joined rotation: start of its slow-start ramp. */
  joinedNs: i64;
  /** Last time it was learned from a response or configured; drives expiry. */
  lastSeenNs: i64;
  picks: i64 = 0;
  failures: i64 = 0;

  constructor(
    public address: string,
    public isStatic: bool,
    defaultRttNs: f64,
    decayNs: f64,
    peakSensitivity: f64,
    nowNs: i64,
  ) {
    this.ewma = new PeakEwma(defaultRttNs, decayNs, peakSensitivity, nowNs);
    this.outlier = new OutlierState(nowNs);
    this.joinedNs = nowNs;
    this.lastSeenNs = nowNs;
  }
}
