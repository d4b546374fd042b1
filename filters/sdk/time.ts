// Clock, ticks and root-context completion.
import { WasmResult } from "./enums";
import { proxy_done, proxy_get_current_time_nanoseconds, proxy_set_tick_period_milliseconds } from "./imports";
import { RETURN_U64 } from "./memory";
import { recordStatus } from "./status";

/** Wall-clock time in ns since the Unix epoch from the host's dispatcher clock (0 on failure).
 *  Pass it into pure code as a parameter; do not read the clock deep inside algorithms. */
export function currentTimeNanos(): u64 {
  const status = recordStatus(proxy_get_current_time_nanoseconds(RETURN_U64));
  return status == WasmResult.Ok ? load<u64>(RETURN_U64) : 0;
}

/** Sets the ROOT context's timer on this worker (even when called from a stream); 0 disables.
 *  proxy_on_tick then arrives about every `periodMs`. */
export function setTickPeriod(periodMs: u32): u32 {
  return recordStatus(proxy_set_tick_period_milliseconds(periodMs));
}

/** Tells the host a root context that returned false from onDone has finished (NotFound otherwise). */
export function done(): u32 {
  return recordStatus(proxy_done());
}
