// Runs every scenario under every policy and returns the results; shared by the CLI
// (bench/sim/main.ts, `npm run bench:sim`) and the short seeded test (test/algorithms/sim.test.ts).
import type { AlgorithmsApi } from "../../test/algorithms/algorithms-api.ts";
import { Adaptive, LeastRequestP2c, type Policy, RoundRobin } from "./policies.ts";
import { scenarios } from "./scenarios.ts";
import { type SimResult, simulate } from "./simulate.ts";

export const POLICY_NAMES = ["round-robin", "least-request-p2c", "meshward-adaptive"] as const;

export function makePolicy(
  api: AlgorithmsApi,
  name: (typeof POLICY_NAMES)[number],
  endpoints: number,
  seed: number,
): Policy {
  if (name === "round-robin") return new RoundRobin(endpoints);
  if (name === "least-request-p2c") return new LeastRequestP2c(endpoints, seed);
  return new Adaptive(api, endpoints, seed);
}

export function runAll(api: AlgorithmsApi, seed: number, scale: number): SimResult[] {
  const results: SimResult[] = [];
  for (const scenario of scenarios(scale)) {
    for (const name of POLICY_NAMES) {
      results.push(simulate(scenario, makePolicy(api, name, scenario.endpoints.length, seed), seed));
    }
  }
  return results;
}

export function find(results: SimResult[], scenario: string, policy: string): SimResult {
  const r = results.find((x) => x.scenario === scenario && x.policy === policy);
  if (!r) throw new Error(`no result for ${scenario}/${policy}`);
  return r;
}
