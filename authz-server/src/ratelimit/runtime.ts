// Builds the RateLimitService for a running authz server (config `rateLimit:`): the rules file
// with hot reload, the buckets on Redis with the local fallback (or in memory), metrics and log
// lines. The composition root (app/ratelimit-wiring.ts) mounts the service on a gRPC listener.
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { ConfigError } from "../errors.ts";
import type { RateLimitConfig, RateLimitRedisConfig } from "./config.ts";
import { FailoverDecider, MemoryDecider, type RateDecider } from "./failover-store.ts";
import { epochUs } from "./gcra.ts";
import { MemoryRateStore, ruleKey } from "./memory-store.ts";
import { RateLimitMetrics } from "./metrics.ts";
import { RateLimitService } from "./ratelimit-service.ts";
import { RedisRateStore } from "./redis-store.ts";
import type { CompiledDomain } from "./rules.ts";
import { RulesSource, type RulesStatus } from "./rules-source.ts";

export interface RateLimitRuntime {
  service: RateLimitService;
  /** Rules loaded (always true once created: a server does not start without valid rules). */
  ready(): boolean;
  status(): RulesStatus & { store: "memory" | "shared" | "local" };
  close(): Promise<void>;
}

export interface RateLimitRuntimeContext {
  registry: Registry;
  logger: Logger;
  nowMs?: () => number;
  /** Worker processes of this replica (cluster/): they share its `fallback_share`. Default 1. */
  workers?: number;
}

/** A client that fails fast instead of queueing: no offline queue, no retries per command, no
 *  resend after a reconnect (a late charge is worse than a fallback decision), reconnecting for
 *  ever with backoff 50 ms · 2^attempt capped at 1 s. Requests are bounded by failover-store.ts;
 *  the client's own command timeout only clears commands a stalled server never answers. */
function redisClient(config: RateLimitRedisConfig): Redis | Cluster {
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: Math.max(1000, 10 * config.timeoutMs),
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 1000),
  };
  if (config.url) return new Redis(config.url, options);
  const nodes = (config.clusterNodes ?? []).map((url) => {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port || 6379) };
  });
  return new Cluster(nodes, {
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 1000),
    redisOptions: options,
  });
}

function ruleKeys(domains: ReadonlyMap<string, CompiledDomain>): Set<string> {
  const keys = new Set<string>();
  for (const d of domains.values()) for (const r of d.rules) keys.add(ruleKey(d.domain, r.id));
  return keys;
}

export function createRateLimitRuntime(config: RateLimitConfig, context: RateLimitRuntimeContext): RateLimitRuntime {
  const { logger } = context;
  const nowMs = context.nowMs ?? Date.now;
  const metrics = new RateLimitMetrics(context.registry, { redis: config.redis !== undefined });
  const local = new MemoryRateStore(() => epochUs(nowMs()));
  let decider: RateDecider;
  if (config.redis) {
    metrics.storeMode("local"); // until the first PING
    decider = new FailoverDecider(
      new RedisRateStore(redisClient(config.redis), { keyPrefix: config.redis.keyPrefix }),
      local,
      {
        timeoutMs: config.redis.timeoutMs,
        shareDivisor: context.workers ?? 1,
        hooks: {
          onModeChange: (mode, reason) => {
            metrics.storeMode(mode);
            if (mode === "local")
              logger.warn({ event: "ratelimit_store", mode, reason }, "rate limits decided locally");
            else logger.info({ event: "ratelimit_store", mode, reason }, "rate limits shared on Redis");
          },
          onFallback: (domain, decidedBy, reason) => metrics.fallback(domain, decidedBy, reason),
          onRedisLatency: (seconds) => metrics.redisLatency(seconds),
        },
      },
    );
  } else {
    decider = new MemoryDecider(local);
  }
  const rules = new RulesSource(config.rulesFile, {
    pollIntervalMs: config.pollIntervalMs,
    nowMs,
    onSwap: (domains) => decider.retain(ruleKeys(domains)),
    onResult: (load) => {
      metrics.rulesLoad(load);
      if (load.result === "error")
        logger.error(
          { event: "ratelimit_rules", source: config.rulesFile, error: load.message },
          "rate-limit rules refused",
        );
      else if (load.result === "ok")
        logger.info(
          { event: "ratelimit_rules", domains: load.domains, rules: load.rules },
          "rate-limit rules activated",
        );
    },
  });
  const first = rules.load();
  if (first.result === "error") {
    void decider.close();
    throw new ConfigError("rateLimit.rulesFile", first.message);
  }
  rules.start();
  let refusals = 0;
  const service = new RateLimitService(config.bounds, config.headers, {
    domains: () => rules.domains,
    decider,
    observe: metrics.observeCall,
    observeRefusal: (domain, code, requested) => {
      metrics.observeRefusal(domain, code);
      // A misconfigured Envoy refuses every call: the first and every 1000th say so in the log.
      if (refusals++ % 1000 === 0)
        logger.warn(
          { event: "ratelimit_refused", code, domain: requested.slice(0, 128), count: refusals },
          "rate-limit call refused",
        );
    },
  });
  return {
    service,
    ready: () => rules.domains.size > 0,
    status: () => ({ ...rules.status(), ...decider.status() }),
    async close() {
      rules.stop();
      await decider.close();
    },
  };
}
