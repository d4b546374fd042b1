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
// A small check costs two counters and two comparisons; nothing is allocated for it.

export interface AdmissionLimits {
  maxChecks: number;
  maxBytes: number;
  /** Checks whose request is larger than this go through the large-check lane. */
  largeCheckBytes: number;
  /** Large checks being decided at once. */
  largeConcurrency: number;
}

export class Admission {
  private checks = 0;
  private bytes = 0;
  private largeRunning = 0;
  private readonly largeQueue: (() => void)[] = [];
  private readonly largeByteCap: number;

  constructor(private readonly limits: AdmissionLimits) {
    this.largeByteCap = Math.floor((limits.maxBytes * 3) / 4);
  }

  /** Takes a slot for a check of `bytes` request bytes; false when a cap would be passed (nothing
   *  taken then). Every true must be followed by exactly one `release(bytes)`. */
  tryAdmit(bytes: number): boolean {
    if (this.checks >= this.limits.maxChecks) return false;
    const cap = bytes > this.limits.largeCheckBytes ? this.largeByteCap : this.limits.maxBytes;
    if (this.bytes + bytes > cap) return false;
    this.checks++;
    this.bytes += bytes;
    return true;
  }

  release(bytes: number): void {
    this.checks--;
    this.bytes -= bytes;
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
