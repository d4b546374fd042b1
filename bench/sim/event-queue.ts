// A binary min-heap of timed events for the discrete-event simulator. Ties in time are broken by
// insertion order (a sequence number), so a run is a pure function of its seed.

export interface SimEvent {
  timeNs: number;
  seq: number;
  kind: "arrival" | "completion";
  requestId: number;
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(timeNs: number, kind: SimEvent["kind"], requestId: number): void {
    const event = { timeNs, seq: this.nextSeq++, kind, requestId };
    const h = this.heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, h[parent] as SimEvent)) break;
      h[i] = h[parent] as SimEvent;
      i = parent;
    }
    h[i] = event;
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && before(h[r] as SimEvent, h[l] as SimEvent) ? r : l;
      if (!before(h[child] as SimEvent, last)) break;
      h[i] = h[child] as SimEvent;
      i = child;
    }
    h[i] = last;
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.seq < b.seq);
}
