// Composition root: config → bundles → enrichers (identity, risk) → check service → observers
// (metrics, risk outcomes, live page, decision log) → listeners (gRPC, rate limits, HTTP). Each
// step is a named function in this folder; this file only orders them.
import pino, { type Logger } from "pino";
import { CheckService } from "../check/check-service.ts";
import type { InputEnricher } from "../check/enricher.ts";
import { checkCrossFields } from "../config/cross-checks.ts";
import type { AuthzConfig } from "../config/schema.ts";
import { DecisionFeed } from "../dashboard/decision-feed.ts";
import { AuthzMetrics } from "../ops/metrics.ts";
import type { ActivePolicy } from "../policy/active-policy.ts";
import type { BundleSource } from "../policy/bundle-source.ts";
import type { RiskAssessor } from "../risk/risk-enricher.ts";
import type { Admission } from "../transport/admission.ts";
import { loadBundles } from "./bundles.ts";
import { admissionControl, checkServiceOptions } from "./check-options.ts";
import { identityEnricher } from "./identity-wiring.ts";
import { startListeners } from "./listeners.ts";
import { checkObservers } from "./observers.ts";
import { startRateLimit } from "./ratelimit-wiring.ts";
import type { RiskRuntime, RiskRuntimeContext } from "./risk-runtime.ts";
import { adminEvents, riskEnricher } from "./risk-wiring.ts";
import type { Wiring } from "./wiring.ts";

/** Recent decisions the live page keeps. */
const FEED_SIZE = 200;

export interface RunningServer {
  grpcPort: number;
  /** The RateLimitService's own gRPC listener (`rateLimit.grpc`); the authz one when it shares it,
   *  0 without rate limiting. */
  rateLimitPort: number;
  /** 0 when the HTTP listener is disabled. */
  httpPort: number;
  policy: ActivePolicy;
  checks: CheckService;
  metrics: AuthzMetrics;
  bundles: BundleSource;
  admission: Admission;
  close(): Promise<void>;
}

export interface ServerDependencies {
  logger?: Logger;
  /** Extra enrichers after identity and risk. */
  enrichers?: InputEnricher[];
  /** The risk engine (`createRiskEngine()` from ./risk/index.ts): adds input.meshward.risk, the
   *  risk headers and metadata, and receives the outcomes of checks. */
  risk?: RiskAssessor;
  /** Builds the risk engine with metrics and logging (main.ts: app/risk-runtime.ts); also mounts the
   *  admin events endpoint when `risk.admin` is configured. Wins over `risk`. */
  riskRuntime?: (context: RiskRuntimeContext) => Promise<RiskRuntime>;
  nowMs?: () => number;
  /** /metrics text from this process's metrics; a cluster worker answers with every worker's sum
   *  (cluster/metrics-ipc.ts). Default: this process's registry alone. */
  aggregateMetrics?: (metrics: AuthzMetrics) => () => Promise<string>;
  /** How many worker processes serve together (cluster/): the rate-limit fallback divides its
   *  share of each limit among them. Default 1. */
  workers?: number;
}

export async function startAuthzServer(config: AuthzConfig, deps: ServerDependencies = {}): Promise<RunningServer> {
  checkCrossFields(config);
  const logger = deps.logger ?? pino({ level: config.logging.level, base: { service: "meshward-authz" } });
  const nowMs = deps.nowMs ?? Date.now;
  const wiring: Wiring = { config, logger, nowMs, metrics: new AuthzMetrics(nowMs) };
  const { metrics } = wiring;
  const { policy, bundles } = await loadBundles(wiring);
  const identity = identityEnricher(wiring);
  const riskRuntime = deps.riskRuntime ? await deps.riskRuntime({ metrics, logger, nowMs }) : undefined;
  const risk = riskEnricher(wiring, riskRuntime?.engine ?? deps.risk);
  const feed = config.dashboard.enabled ? new DecisionFeed(FEED_SIZE, nowMs) : undefined;
  const enrichers = [identity, risk, ...(deps.enrichers ?? [])].filter((e) => e !== undefined);
  const checks = new CheckService(checkServiceOptions(config), {
    policy,
    enrichers,
    observers: checkObservers(wiring, feed),
    clock: { nowMs, monotonicMs: () => performance.now() },
    onOverload: () => metrics.overloaded(config.policy.dryRun),
  });
  const admission = admissionControl(wiring);
  const isReady = () => policy.evaluator !== undefined;
  metrics.reportReadiness(isReady);
  const rateLimit = await startRateLimit(wiring, deps.workers ?? 1);
  const status = () => ({
    ready: isReady(),
    dryRun: config.policy.dryRun,
    bundle: policy.bundleStatus,
    identity: identity?.status(),
    risk: riskRuntime?.status(),
    rateLimit: rateLimit?.runtime.status(),
  });
  const listeners = await startListeners(wiring, {
    checks,
    admission,
    isReady,
    metricsText: deps.aggregateMetrics ? deps.aggregateMetrics(metrics) : () => metrics.text(),
    status,
    rateLimit,
    adminEvents: adminEvents(wiring, riskRuntime),
    feed,
  });
  bundles.start();
  const { close: closeListeners, ...ports } = listeners;
  return {
    ...ports,
    policy,
    checks,
    metrics,
    bundles,
    admission,
    close: async () => {
      bundles.stop();
      await closeListeners();
      await riskRuntime?.close();
    },
  };
}
