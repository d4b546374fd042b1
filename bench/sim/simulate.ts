// Deterministic discrete-event simulation of one load-balancing policy against a pool of
// endpoints whose latency and error rate change over time.
//
// Model: open-loop Poisson arrivals at `ratePerSec`. Each endpoint is a FIFO queue in front of
// `workers` parallel servers (so an overloaded endpoint queues, as a real one does). A request's
// service time is log-normal around the endpoint's current median (× its phase's slow factor);
// with the phase's error probability it instead fails fast (`failFastMs`, a 503). Latency is
// measured from arrival to completion (queueing included), as the client sees it.
// Everything random comes from one seeded workload stream, drawn in the same order for every
// policy, so policies are compared on the same request sequence.
import { EventQueue } from "./event-queue.ts";
import type { Policy } from "./policies.ts";
import { WorkloadRandom } from "./random.ts";

const NS_PER_MS = 1e6;

export interface Phase {
  /** Phase starts at this time (ms since start). */
  fromMs: number;
  slowFactor: number;
  errorRate: number;
}

export interface EndpointModel {
  medianMs: number;
  workers: number;
  /** Sorted by `fromMs`; the first must start at 0. */
  phases: Phase[];
}

export interface Scenario {
  name: string;
  description: string;
  durationMs: number;
  ratePerSec: number;
  endpoints: EndpointModel[];
  /** Index of the endpoint that misbehaves (for "share sent to the bad endpoint"), or −1. */
  badEndpoint: number;
  sigma: number;
  failFastMs: number;
}

export interface SimResult {
  scenario: string;
  policy: string;
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Share of all requests sent to `badEndpoint` (0 when none). */
  badShare: number;
  /** Share of the requests arriving during each of `badEndpoint`'s phases that were sent to it. */
  badSharePerPhase: number[];
  perEndpoint: number[];
  fallbacks: number;
}

interface Request {
  arrivalNs: number;
  /** Log-normal factor (median 1) drawn up front; scaled by the chosen endpoint's median. */
  unitFactor: number;
  /** Uniform draw compared with the chosen endpoint's error rate at dispatch. */
  failDraw: number;
  endpoint: number;
  serviceNs: number;
  failed: boolean;
}

/** Runs `scenario` under `policy` with workload seed `seed`. */
export function simulate(scenario: Scenario, policy: Policy, seed: number): SimResult {
  const random = new WorkloadRandom(seed);
  const events = new EventQueue();
  const requests: Request[] = [];
  const busy = scenario.endpoints.map(() => 0);
  const queues: number[][] = scenario.endpoints.map(() => []);
  const perEndpoint = scenario.endpoints.map(() => 0);
  const latenciesMs: number[] = [];
  const badModel = scenario.endpoints[scenario.badEndpoint];
  const phaseArrivals = badModel ? badModel.phases.map(() => 0) : [];
  const phaseToBad = badModel ? badModel.phases.map(() => 0) : [];
  let errors = 0;

  // Pre-draw arrivals and each request's fate on every endpoint-independent dimension, so the
  // workload does not depend on the policy's choices.
  const endNs = scenario.durationMs * NS_PER_MS;
  for (
    let t = random.exponential(1e9 / scenario.ratePerSec);
    t < endNs;
    t += random.exponential(1e9 / scenario.ratePerSec)
  ) {
    const arrivalNs = Math.round(t);
    const unitFactor = random.logNormal(1, scenario.sigma);
    const failDraw = random.next();
    events.push(arrivalNs, "arrival", requests.length);
    requests.push({ arrivalNs, unitFactor, failDraw, endpoint: -1, serviceNs: 0, failed: false });
  }

  const startService = (id: number, nowNs: number) => {
    const r = requests[id] as Request;
    busy[r.endpoint] = (busy[r.endpoint] as number) + 1;
    events.push(nowNs + r.serviceNs, "completion", id);
  };

  for (let ev = events.pop(); ev !== undefined; ev = events.pop()) {
    const now = ev.timeNs;
    const r = requests[ev.requestId] as Request;
    if (ev.kind === "arrival") {
      const e = policy.pick(now);
      r.endpoint = e;
      perEndpoint[e] = (perEndpoint[e] as number) + 1;
      if (badModel) {
        const p = phaseIndex(badModel, now / NS_PER_MS);
        phaseArrivals[p] = (phaseArrivals[p] as number) + 1;
        if (e === scenario.badEndpoint) phaseToBad[p] = (phaseToBad[p] as number) + 1;
      }
      const model = scenario.endpoints[e] as EndpointModel;
      const phase = phaseAt(model, now / NS_PER_MS);
      r.failed = r.failDraw < phase.errorRate;
      r.serviceNs = r.failed
        ? scenario.failFastMs * NS_PER_MS
        : Math.max(1, Math.round(r.unitFactor * model.medianMs * phase.slowFactor * NS_PER_MS));
      if ((busy[e] as number) < model.workers) startService(ev.requestId, now);
      else (queues[e] as number[]).push(ev.requestId);
      continue;
    }
    const e = r.endpoint;
    busy[e] = (busy[e] as number) - 1;
    const rtt = now - r.arrivalNs;
    policy.onComplete(e, rtt, r.failed, now);
    if (r.failed) errors++;
    else latenciesMs.push(rtt / NS_PER_MS);
    const next = (queues[e] as number[]).shift();
    if (next !== undefined) startService(next, now);
  }

  latenciesMs.sort((a, b) => a - b);
  const bad = scenario.badEndpoint >= 0 ? (perEndpoint[scenario.badEndpoint] as number) : 0;
  return {
    scenario: scenario.name,
    policy: policy.name,
    requests: requests.length,
    errors,
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99),
    p999Ms: percentile(latenciesMs, 0.999),
    badShare: requests.length > 0 ? bad / requests.length : 0,
    badSharePerPhase: phaseToBad.map((n, i) => n / Math.max(1, phaseArrivals[i] as number)),
    perEndpoint,
    fallbacks: policy.fallbacks(),
  };
}

function phaseIndex(model: EndpointModel, ms: number): number {
  let current = 0;
  model.phases.forEach((p, i) => {
    if (p.fromMs <= ms) current = i;
  });
  return current;
}

function phaseAt(model: EndpointModel, ms: number): Phase {
  return model.phases[phaseIndex(model, ms)] as Phase;
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
