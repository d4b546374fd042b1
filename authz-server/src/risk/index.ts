// The risk engine's public surface for the authz server. Per check: `engine.assess(context, nowMs)`
// → `input.meshward.risk`; on allow, `riskHeaders(assessment)` (and `riskMetadata` for dynamic
// metadata). After a check: `engine.recordOutcome({kind: "auth-failed" | "denied", ...}, nowMs)`.
// Admin endpoint: `handleSecurityEvent(engine, body, nowMs)` → {status, body}.
import { parseRiskConfig, storeLimitsFrom } from "./config.ts";
import { RiskEngine, type RiskEngineHooks } from "./engine.ts";
import { createRedisRiskStore, type FallbackHooks, type RedisRiskStoreOptions } from "./store/fallback-store.ts";

export { parseRiskConfig, RISK_DEFAULTS, type RiskConfig } from "./config.ts";
export { principalOf, RiskEngine, type RiskEngineHooks } from "./engine.ts";
export { handleSecurityEvent, parseSecurityEvent, type SecurityEvent, SecurityEventError } from "./events.ts";
export { RISK_LEVEL_HEADER, RISK_SCORE_HEADER, riskHeaders, riskMetadata } from "./expose.ts";
export { type FallbackStats, FallbackStore, type StoreMode } from "./store/fallback-store.ts";
export { MemoryStore } from "./store/memory-store.ts";
export type { RiskStore } from "./store/types.ts";
export * from "./types.ts";

export interface CreateRiskEngineOptions {
  /** Raw risk config (validated here). */
  config?: unknown;
  /** Shared state on Redis; without it the state is in-memory, per process. */
  redis?: Omit<RedisRiskStoreOptions, "limits" | "hooks" | "maxEntries">;
  hooks?: RiskEngineHooks & FallbackHooks;
}

/** Builds an engine with the in-memory store, or with Redis and local fallback when `redis` is set. */
export function createRiskEngine(options: CreateRiskEngineOptions = {}): RiskEngine {
  const config = parseRiskConfig(options.config ?? {});
  const store =
    options.redis === undefined
      ? undefined
      : createRedisRiskStore({
          ...options.redis,
          limits: storeLimitsFrom(config),
          maxEntries: config.state.maxEntries,
          hooks: options.hooks,
        });
  return new RiskEngine(config, store, options.hooks);
}
