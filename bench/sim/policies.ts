// The balancing policies the simulator compares. Round robin and least-request P2C are the
// baselines Envoy ships (`ROUND_ROBIN`; `LEAST_REQUEST` with choice_count 2 picks the fewer active
// requests of two random hosts). "adaptive" is Meshward's real AssemblyScript balancer
// (filters/adaptive-lb/lib/balancer.ts) running in its compiled wasm, driven through the test
// entry's exports — the simulator does not re-implement it.
import type { AlgorithmsApi } from "../../test/algorithms/algorithms-api.ts";
import { WorkloadRandom } from "./random.ts";

export interface Policy {
  readonly name: string;
  /** Index of the endpoint for a request arriving at `nowNs`. */
  pick(nowNs: number): number;
  onComplete(endpoint: number, rttNs: number, failed: boolean, nowNs: number): void;
  /** Picks the policy handed back to the fallback (adaptive only). */
  fallbacks(): number;
}

export class RoundRobin implements Policy {
  readonly name = "round-robin";
  private next = 0;
  constructor(private readonly endpoints: number) {}
  pick(): number {
    const i = this.next;
    this.next = (this.next + 1) % this.endpoints;
    return i;
  }
  onComplete(): void {}
  fallbacks(): number {
    return 0;
  }
}

export class LeastRequestP2c implements Policy {
  readonly name = "least-request-p2c";
  private readonly active: number[];
  private readonly random: WorkloadRandom;
  constructor(endpoints: number, seed: number) {
    this.active = new Array<number>(endpoints).fill(0);
    this.random = new WorkloadRandom(seed ^ 0x5bd1e995);
  }
  pick(): number {
    const n = this.active.length;
    const a = this.random.below(n);
    let b = this.random.below(n - 1);
    if (b >= a) b++;
    const chosen = (this.active[b] as number) < (this.active[a] as number) ? b : a;
    this.active[chosen] = (this.active[chosen] as number) + 1;
    return chosen;
  }
  onComplete(endpoint: number): void {
    this.active[endpoint] = (this.active[endpoint] as number) - 1;
  }
  fallbacks(): number {
    return 0;
  }
}

/** Outcome codes of filters/adaptive-lb/lib/outcome.ts. */
const OUTCOME_SUCCESS = 0;
const OUTCOME_SERVER_ERROR = 1;

export class Adaptive implements Policy {
  readonly name = "meshward-adaptive";
  private readonly handle: number;
  private readonly slotToEndpoint = new Map<number, number>();
  private readonly endpointToSlot: number[] = [];
  private readonly fallback: RoundRobin;

  constructor(
    private readonly api: AlgorithmsApi,
    endpoints: number,
    seed: number,
    configOverrides: Record<string, unknown> = {},
  ) {
    const addresses = Array.from({ length: endpoints }, (_, i) => `10.0.0.${i + 1}:8080`);
    const config = JSON.stringify({ endpoints: addresses, ...configOverrides });
    this.handle = api.lbCreate(config, 0, BigInt(seed));
    if (this.handle < 0) throw new Error(`adaptive-lb config rejected: ${api.getLastError()}`);
    addresses.forEach((address, i) => {
      const slot = api.lbFind(this.handle, address);
      this.slotToEndpoint.set(slot, i);
      this.endpointToSlot[i] = slot;
    });
    this.fallback = new RoundRobin(endpoints);
  }

  /** With fewer than two eligible endpoints the balancer declines; Envoy's fallback (round robin) decides. */
  pick(nowNs: number): number {
    const endpoint =
      this.api.lbPick(this.handle, nowNs) === 0
        ? this.fallback.pick()
        : (this.slotToEndpoint.get(this.api.lbPicked(this.handle, 0)) as number);
    this.api.lbStart(this.handle, this.endpointToSlot[endpoint] as number);
    return endpoint;
  }

  onComplete(endpoint: number, rttNs: number, failed: boolean, nowNs: number): void {
    const slot = this.endpointToSlot[endpoint] as number;
    this.api.lbComplete(this.handle, slot, rttNs, failed ? OUTCOME_SERVER_ERROR : OUTCOME_SUCCESS, nowNs);
  }

  fallbacks(): number {
    return this.api.lbStat(this.handle, "fallbacks");
  }
}
