/**
 * Slow start: a new or just-returned endpoint's weight ramps up over a window instead of taking
 * its full share at once (its caches are cold, and a peak-EWMA estimate that decayed towards zero
 * would otherwise draw a burst of traffic onto it).
 *
 * Same curve as Envoy's `slow_start_config` for round robin / least request:
 *   weight(t) = max(minWeight, (t / window)^(1 / aggression))   for 0 ≤ t < window, else 1
 * where `t` is the time since the endpoint (re)joined. aggression = 1 is linear; > 1 ramps faster
 * early. A clock going backwards counts as t = 0. window = 0 disables slow start (weight 1).
 */
import { elapsedNs } from "../../lib/time";

export function slowStartWeight(nowNs: i64, joinedNs: i64, windowNs: i64, aggression: f64, minWeight: f64): f64 {
  if (windowNs <= 0) return 1;
  const t = elapsedNs(nowNs, joinedNs);
  if (t >= windowNs) return 1;
  const a = aggression > 0 ? aggression : 1;
  const w = Math.pow(<f64>t / <f64>windowNs, 1 / a);
  return w > minWeight ? w : minWeight;
}
