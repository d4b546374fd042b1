/**
 * Finishing one request in the balancer, given what Envoy reports in `on_log`: which endpoint
 * served it (`upstream.address`, null if none), how long it took and how it ended.
 *
 * The pick counted one pending request on the primary. Envoy may still serve the request
 * elsewhere: the primary left the cluster (override_host skips it), or a retry went to a fallback.
 * So the pending count is always released on the primary, while the latency sample and the
 * outcome go to the endpoint that actually served the request, learned here if it is new.
 * Requests left to Envoy's fallback policy (no pick) only teach the balancer.
 *
 * Gauges are only updated in Wasm memory here; the root context's tick publishes them
 * (`lb-metrics.ts`), so settling makes no host call besides the rare counters.
 */
import { AdaptiveBalancer } from "./lib/balancer";
import { Outcome } from "./lib/outcome";
import { LbMetrics } from "./lb-metrics";

export function settle(
  lb: AdaptiveBalancer,
  metrics: LbMetrics,
  pickedSlot: i32,
  served: string | null,
  rttNs: f64,
  outcome: Outcome,
  nowNs: i64,
): void {
  const ejectionsBefore = lb.ejections;
  const picked = pickedSlot >= 0 ? lb.table.at(pickedSlot) : null;
  const pickedGauges = picked !== null ? metrics.endpoint(picked.address) : null;
  if (pickedGauges !== null) pickedGauges.pendingNow--;
  if (served === null) {
    if (picked !== null) {
      lb.onComplete(pickedSlot, 0, Outcome.Ignored, nowNs);
      metrics.unserved.increment(1);
    }
    return;
  }
  let slot: i32;
  const servedByPick = picked !== null && picked.address == served;
  if (servedByPick) {
    slot = pickedSlot;
  } else {
    if (picked !== null) {
      lb.onComplete(pickedSlot, 0, Outcome.Ignored, nowNs); // release the primary's pending
      metrics.servedElsewhere.increment(1);
    }
    slot = lb.learn(served, nowNs);
    if (slot < 0) return; // table full of busy endpoints: refused, nothing to record
    lb.onStart(slot); // the served endpoint's own completion below releases it again
  }
  lb.onComplete(slot, rttNs, outcome, nowNs);
  if (lb.ejections > ejectionsBefore) metrics.ejections.increment(lb.ejections - ejectionsBefore);
  const e = lb.table.at(slot);
  if (e === null) return;
  // The same endpoint's gauges when the pick served (one map lookup per request, not two).
  const g = servedByPick ? pickedGauges : metrics.endpoint(served);
  if (g === null) return;
  const score = lb.trendScore(slot, nowNs);
  g.setEstimates(<u64>(e.ewma.costAt(nowNs) / 1000), score > 0 ? <u64>(score * 1000) : 0);
}
