// A controllable clock for the Node host: wall time in nanoseconds since the epoch, moved only by
// the test (`advanceMs`), so ticks and timestamps are deterministic.

export class ManualClock {
  private nowNs: bigint;

  constructor(startMs: number = Date.now()) {
    this.nowNs = BigInt(Math.round(startMs)) * 1_000_000n;
  }

  nowNanos(): bigint {
    return this.nowNs;
  }

  nowMs(): number {
    return Number(this.nowNs / 1_000_000n);
  }

  advanceMs(ms: number): void {
    if (!(ms >= 0)) throw new Error(`clock: cannot move by ${ms} ms`);
    this.nowNs += BigInt(Math.round(ms * 1_000_000));
  }
}
