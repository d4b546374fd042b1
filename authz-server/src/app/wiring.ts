// What every wiring step of the composition root receives: the validated config and the process's
// shared services (log, wall clock, metrics registry).
import type { Logger } from "pino";
import type { AuthzConfig } from "../config/schema.ts";
import type { AuthzMetrics } from "../ops/metrics.ts";

export interface Wiring {
  readonly config: AuthzConfig;
  readonly logger: Logger;
  readonly nowMs: () => number;
  readonly metrics: AuthzMetrics;
}
