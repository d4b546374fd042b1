// Scenarios for the load-balancing simulator. `scale` shortens every scenario (durations and
// phase boundaries) for the quick seeded variant in the test suite.
import type { EndpointModel, Scenario } from "./simulate.ts";

const WORKERS = 32;

function steady(medianMs: number, slowFactor = 1): EndpointModel {
  return { medianMs, workers: WORKERS, phases: [{ fromMs: 0, slowFactor, errorRate: 0 }] };
}

function base(
  name: string,
  description: string,
  durationMs: number,
  endpoints: EndpointModel[],
  badEndpoint: number,
): Scenario {
  return { name, description, durationMs, ratePerSec: 1000, endpoints, badEndpoint, sigma: 0.25, failFastMs: 1 };
}

export function scenarios(scale = 1): Scenario[] {
  const d = (ms: number) => Math.round(ms * scale);
  return [
    base("all-healthy", "4 endpoints, median 10 ms", d(60_000), [steady(10), steady(10), steady(10), steady(10)], -1),
    base(
      "one-slow-10x",
      "endpoint 3 is 10x slower (median 100 ms)",
      d(60_000),
      [steady(10), steady(10), steady(10), steady(10, 10)],
      3,
    ),
    base(
      "heterogeneous",
      "medians 5/10/20/40 ms (bad = the 40 ms one)",
      d(60_000),
      [steady(5), steady(10), steady(20), steady(40)],
      3,
    ),
    base(
      "degrade-fail-heal",
      "endpoint 1: healthy, 10x slow from 25%, 50% fast 503s from 50%, healed from 75%",
      d(80_000),
      [
        steady(10),
        {
          medianMs: 10,
          workers: WORKERS,
          phases: [
            { fromMs: 0, slowFactor: 1, errorRate: 0 },
            { fromMs: d(20_000), slowFactor: 10, errorRate: 0 },
            { fromMs: d(40_000), slowFactor: 1, errorRate: 0.5 },
            { fromMs: d(60_000), slowFactor: 1, errorRate: 0 },
          ],
        },
        steady(10),
        steady(10),
      ],
      1,
    ),
  ];
}
