// CPU per request spent in the adaptive balancer (pick + start + complete) as compiled wasm, for
// several pool sizes, measured against a baseline of the same number of trivial wasm calls in the
// same run (A/B interleaved, so machine noise hits both). The difference approximates the
// balancer's own work; the baseline is the JS↔wasm call cost, which Envoy's host does not pay the
// same way. CPU time via process.cpuUsage (user + system).
import type { AlgorithmsApi } from "../../test/algorithms/algorithms-api.ts";

export interface PickCost {
  endpoints: number;
  requests: number;
  balancerUs: number;
  baselineUs: number;
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

export function measurePickCost(api: AlgorithmsApi, endpoints: number, requests: number, rounds = 5): PickCost {
  const config = JSON.stringify({
    endpoints: Array.from({ length: endpoints }, (_, i) => `10.0.${i >> 8}.${i & 255}:80`),
  });
  const h = api.lbCreate(config, 0, 1n);
  let now = 0;
  const run = () => {
    for (let i = 0; i < requests; i++) {
      now += 1e5; // 0.1 ms between requests
      api.lbPick(h, now);
      const slot = api.lbPicked(h, 0);
      api.lbStart(h, slot);
      api.lbComplete(h, slot, 1e7 + (i % 7) * 1e6, 0, now);
    }
  };
  const baseline = () => {
    for (let i = 0; i < requests; i++) {
      api.lbSize(h);
      api.lbSize(h);
      api.lbSize(h);
      api.lbSize(h);
    }
  };
  run(); // warm up both paths
  baseline();
  let balancer = 0;
  let base = 0;
  for (let r = 0; r < rounds; r++) {
    let t = cpuUs();
    run();
    balancer += cpuUs() - t;
    t = cpuUs();
    baseline();
    base += cpuUs() - t;
  }
  return { endpoints, requests, balancerUs: balancer / (rounds * requests), baselineUs: base / (rounds * requests) };
}
