// Builds the risk engine for a running server (config `risk:` section): the engine with the
// in-memory or Redis store, its hooks wired to the metrics and the log, the admin endpoint's event
// handler, and (with Redis) the broadcast that mirrors security events into every replica's local
// fallback state (events/event-broadcast.ts). app/server.ts receives it through `riskRuntime`.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { AuthzConfig } from "../config/schema.ts";
import type { EventApplyResult } from "../events/admin-events.ts";
import { EventBroadcast } from "../events/event-broadcast.ts";
import type { AuthzMetrics } from "../ops/metrics.ts";
import { createRiskEngine, FallbackStore, handleSecurityEvent, type SecurityEvent } from "../risk/index.ts";
import type { RiskAssessor } from "../risk/risk-enricher.ts";

export interface RiskRuntime {
  engine: RiskAssessor;
  /** The admin endpoint's logic: validate, apply, tell the other replicas. */
  applyEvent(body: unknown, nowMs: number): Promise<EventApplyResult>;
  /** For `/status`: where the risk state lives now, and the fallback counters with Redis. */
  status(): { store: "memory" | "shared" | "local"; fallbacks?: number; replayed?: number; dropped?: number };
  close(): Promise<void>;
}

export interface RiskRuntimeContext {
  metrics: AuthzMetrics;
  logger: Logger;
  nowMs: () => number;
}

export type RiskSection = NonNullable<AuthzConfig["risk"]>;

export async function createRiskRuntime(risk: RiskSection, context: RiskRuntimeContext): Promise<RiskRuntime> {
  const { metrics, logger, nowMs } = context;
  if (risk.redisUrl) metrics.riskStoreMode("local"); // until the first `ready`
  const engine = createRiskEngine({
    config: risk.config,
    ...(risk.redisUrl
      ? {
          redis: {
            url: risk.redisUrl,
            ...(risk.redisCommandTimeoutMs ? { commandTimeoutMs: risk.redisCommandTimeoutMs } : {}),
          },
        }
      : {}),
    hooks: {
      onModeChange: (mode, reason) => {
        metrics.riskStoreMode(mode);
        if (mode === "local") logger.warn({ event: "risk_store", mode, reason }, "risk state degraded to local memory");
        else logger.info({ event: "risk_store", mode, reason }, "risk state shared on Redis");
      },
      onFallback: (operation) => metrics.riskStoreFallback(operation),
      onStateError: (operation, error) =>
        logger.warn({ event: "risk_store", operation, error: String(error) }, "risk state unavailable"),
      onSignalError: (index, error) =>
        logger.warn({ event: "risk_signal", index, error: String(error) }, "risk signal failed"),
    },
  });
  let broadcast: EventBroadcast | undefined;
  if (risk.redisUrl && engine.store instanceof FallbackStore) {
    broadcast = new EventBroadcast(engine.store.redis, {
      url: risk.redisUrl,
      origin: randomUUID(),
      local: engine.store.local,
      eventTtlMs: engine.config.state.eventTtlMs,
      nowMs,
      onMessage: (kind, result, detail) => {
        metrics.riskBroadcast(kind, result);
        if (detail) logger.warn({ event: "risk_broadcast", kind, result, detail }, "bad risk broadcast message");
      },
    });
  }
  const countDenials = engine.config.failedAuth.countDenials;
  const assessor: RiskAssessor = {
    assess: (context, now) => engine.assess(context, now),
    async recordOutcome(outcome, now) {
      await engine.recordOutcome(outcome, now);
      if (!broadcast || (outcome.kind === "denied" && !countDenials)) return;
      if (!outcome.principal && !outcome.sourceIp) return;
      await broadcast.publishFailure({ principal: outcome.principal || null, ip: outcome.sourceIp || null, atMs: now });
    },
  };
  return {
    engine: assessor,
    async applyEvent(body, now) {
      const result = await handleSecurityEvent(engine, body, now);
      if (result.status === 202 && "event" in result.body) {
        const event: SecurityEvent = result.body.event;
        logger.info(
          { event: "security_event", type: event.type, target: event.target.kind, at_ms: event.atMs },
          "security event applied",
        );
        await broadcast?.publish(event);
      }
      return result;
    },
    status() {
      if (!(engine.store instanceof FallbackStore)) return { store: "memory" };
      const { mode, fallbacks, replayed, dropped } = engine.store.stats();
      return { store: mode, fallbacks, replayed, dropped };
    },
    async close() {
      await broadcast?.close();
      await engine.close();
    },
  };
}
