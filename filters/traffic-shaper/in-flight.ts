/**
 * Glue: the number of requests in flight through this filter on ALL workers, kept in one proxy
 * shared-data counter (8 bytes, little-endian i64 — the `sharedCounterAdd` encoding).
 *
 * Admission is atomic across workers: read (n, cas) → refuse when n ≥ ceiling → write n + 1 with
 * that cas → retry on CasMismatch. Two workers can therefore never both take the last slot.
 * Release is `sharedCounterAdd(−1)`. A release that fails (CAS retries exhausted, host error) is
 * remembered as a debt and folded into this worker's next counter update, so the count never
 * drifts upwards. The key is seeded (only when missing) at configure time, before traffic, so the
 * missing-key quirk of Envoy (cas ignored, last writer wins) cannot lose a count.
 *
 * Exactly one release per admitted stream is the caller's job (`concurrency-gate.ts`).
 */
import {
  casUpdate,
  getSharedData,
  lastStatus,
  Metric,
  setSharedData,
  SharedUpdate,
  sharedCounterAdd,
  WasmResult,
} from "../sdk";
import { KEY_PREFIX } from "./shared-bucket";

export const IN_FLIGHT_KEY = KEY_PREFIX + "in_flight";

function readCount(value: ArrayBuffer | null): i64 {
  if (value === null || value.byteLength < 8) return 0;
  return load<i64>(changetype<usize>(value));
}

function countBytes(n: i64): ArrayBuffer {
  const out = new ArrayBuffer(8);
  store<i64>(changetype<usize>(out), n);
  return out;
}

/** n → n + 1 + debt unless n ≥ ceiling; remembers the n it saw. */
class Acquire extends SharedUpdate {
  ceiling: i64 = 0;
  debt: i64 = 0;
  seen: i64 = 0;

  apply(current: ArrayBuffer | null): ArrayBuffer | null {
    let n = readCount(current) + this.debt;
    if (n < 0) n = 0;
    this.seen = n;
    if (n >= this.ceiling) return null;
    return countBytes(n + 1);
  }
}

export class AcquireResult {
  admitted: bool = false;
  /** In flight on all workers just before this decision. */
  inFlight: i64 = 0;
  /** Shared data failed (the caller applies the failure mode). */
  failed: bool = false;
}

export class InFlightCounter {
  private acquire: Acquire = new Acquire();
  /** Releases not yet written to shared data (negative). */
  private debt: i64 = 0;

  constructor(
    public casRetries: i32,
    public gauge: Metric,
  ) {}

  /** Creates the counter at 0 if missing (configure time, before traffic). */
  seed(): void {
    if (getSharedData(IN_FLIGHT_KEY) === null && lastStatus() == WasmResult.NotFound)
      setSharedData(IN_FLIGHT_KEY, countBytes(0), 0);
  }

  /** Takes a slot when fewer than `ceiling` requests are in flight on all workers. */
  tryAcquire(ceiling: i64): AcquireResult {
    const a = this.acquire;
    a.ceiling = ceiling;
    a.debt = this.debt;
    const status = casUpdate(IN_FLIGHT_KEY, a, this.casRetries);
    const r = new AcquireResult();
    r.inFlight = a.seen;
    if (status == WasmResult.Ok) {
      this.debt = 0;
      r.admitted = true;
      this.gauge.increment(1);
    } else if (status != WasmResult.Empty) r.failed = true;
    return r;
  }

  /** Gives a slot back (called once per admitted stream). */
  release(): void {
    this.gauge.increment(-1);
    const delta = this.debt - 1;
    if (sharedCounterAdd(IN_FLIGHT_KEY, delta, this.casRetries) < 0) this.debt = delta;
    else this.debt = 0;
  }
}
