/**
 * Priority load shedding: when in-flight requests approach the concurrency limit, the lowest
 * priority class is shed first and the highest last.
 *
 * Classes are listed highest first. Class i may use up to `share_i` of the limit:
 *   admit(i) ⇔ inFlight < ceil(limit · share_i)
 * with shares non-increasing down the list (checked by the config parser) and the top class
 * usually at 1.0. So as load rises, the lowest class hits its ceiling first; the top class is
 * refused only when the whole limit is in use. A request that matches no class belongs to the
 * last (lowest) class. With no classes configured, every request is one class with share 1.
 */
import { RequestMatch } from "./request-match";
import { RequestAttributes } from "./request";

export class PriorityClass {
  constructor(
    public name: string,
    public share: f64,
    public match: RequestMatch,
  ) {}
}

/** Index of the first class matching `req`; the last class when none matches; −1 if none. */
export function classify(classes: Array<PriorityClass>, req: RequestAttributes): i32 {
  const n = classes.length;
  for (let i = 0; i < n - 1; i++) if (classes[i].match.matches(req)) return i;
  return n - 1;
}

/** In-flight ceiling of a class with `share` under `limit`: ceil(limit · share), at least 1. */
export function classCeiling(limit: i32, share: f64): i32 {
  const c = <i32>Math.ceil(<f64>limit * share - 1e-9);
  return c > 1 ? c : 1;
}

/** Whether a request of `share` may start when `inFlight` are already running under `limit`. */
export function admitByPriority(inFlight: i32, limit: i32, share: f64): bool {
  return inFlight < classCeiling(limit, share);
}
