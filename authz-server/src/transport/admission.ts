// Admission control for checks, shared by the gRPC and HTTP listeners. Two bounds, measured on a
// burst of maximum-size CheckRequests that used to take the process past its heap limit (30 parallel
// ~7 MB) and, once each was capped, to starve normal checks of the CPU (every 1 MiB JSON body costs
// tens of milliseconds to decode, parse and evaluate):
//   - caps: at most `maxChecks` checks and `maxBytes` of their request messages are admitted at
//     once; a check beyond either is answered at once, without being decoded or evaluated
//     (CheckService.overloaded: MW_OVERLOADED, HTTP 503). Large checks may use at most three
//     quarters of the byte cap, so small ones always find room;
//   - a lane for large checks (above `largeCheckBytes`): they are decided `largeConcurrency` at a
//     time, in arrival order, each in its own event-loop turn, so their memory (the parsed body, the
//     policy input) exists for a few at a time and a normal check waits for at most one of them.
//     Their undecoded bytes wait in the lane, counted against the caps.
//   - fairness: the last quarter of `maxChecks` is kept for callers that hold fewer than half of
//     the slots still free. One caller (a gRPC connection, an HTTP peer address: the listener
//     says which) flooding checks that wait on a slow dependency used to take every slot, so an
//     honest caller's checks were all refused with MW_OVERLOADED; now the flood stops at three
//     quarters of the cap plus what it can take of the rest without reaching half of what is
//     free, and a caller holding nothing is admitted while any slot is free. Many callers
//     flooding together still share the cap: fairness is per caller, not per client behind it.
// A small check costs two counters, two comparisons and one map update for its caller.

export interface AdmissionLimits {
  maxChecks: number;
  maxBytes: number;
  /** Checks whose request is larger than this go through the large-check lane. */
  largeCheckBytes: number;
  /** Large checks being decided at once. */
  largeConcurrency: number;
}

/** Who a check is charged to for fairness: any value compared by identity (a connection, an
 *  address string). */
export type Caller = unknown;

export class Admission {
  private checks = 0;
  /** Slots held per caller; a caller with none has no entry, so the map is bounded by `checks`. */
  private readonly held = new Map<Caller, number>();
  /** Slots above `maxChecks - reserve` go only to callers holding less than half of what is free. */
  private readonly reserve: number;
  private bytes = 0;
  private largeRunning = 0;
  private readonly largeQueue: (() => void)[] = [];
  private readonly largeByteCap: number;

  constructor(private readonly limits: AdmissionLimits) {
    this.largeByteCap = Math.floor((limits.maxBytes * 3) / 4);
    this.reserve = Math.floor(limits.maxChecks / 4);
  }

  /** Takes a slot for `caller`'s check of `bytes` request bytes; false when a cap or the fairness
   *  rule would be passed (nothing taken then). Every true must be followed by exactly one
   *  `release(bytes, caller)` with the same caller. */
  tryAdmit(bytes: number, caller: Caller): boolean {
    const free = this.limits.maxChecks - this.checks;
    if (free <= 0) return false;
    const holds = this.held.get(caller) ?? 0;
    if (free <= this.reserve && 2 * holds >= free) return false;
    const cap = bytes > this.limits.largeCheckBytes ? this.largeByteCap : this.limits.maxBytes;
    if (this.bytes + bytes > cap) return false;
    this.checks++;
    this.bytes += bytes;
    this.held.set(caller, holds + 1);
    return true;
  }

  release(bytes: number, caller: Caller): void {
    this.checks--;
    this.bytes -= bytes;
    const holds = (this.held.get(caller) ?? 1) - 1;
    if (holds > 0) this.held.set(caller, holds);
    else this.held.delete(caller);
  }

  /** Runs `decide` now for a small check; a large one waits its turn in the lane. */
  schedule<T>(bytes: number, decide: () => Promise<T>): Promise<T> {
    if (bytes <= this.limits.largeCheckBytes) return decide();
    return new Promise<void>((turn) => {
      if (this.largeRunning < this.limits.largeConcurrency) {
        this.largeRunning++;
        setImmediate(turn); // a turn of its own: checks that arrived meanwhile go first
      } else this.largeQueue.push(turn);
    })
      .then(decide)
      .finally(() => {
        const next = this.largeQueue.shift();
        if (next) setImmediate(next);
        else this.largeRunning--;
      });
  }

  get checksInFlight(): number {
    return this.checks;
  }

  get bytesInFlight(): number {
    return this.bytes;
  }
}
