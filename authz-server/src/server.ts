// Composition root: wires config → policy bundle source → enrichers (identity) → check service →
// observers (decision log, metrics) → transports (gRPC, HTTP). The only place that reads key and
// certificate files.
import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import pino, { type Logger } from "pino";
import { CheckService, type CheckServiceOptions } from "./check-service.ts";
import { claimedPrincipalReader } from "./claimed-principal.ts";
import { type AuthzConfig, MIN_ADMIN_TOKEN_LENGTH, type TlsConfig } from "./config/schema.ts";
import { DecisionFeed } from "./dashboard/decision-feed.ts";
import { dashboardPlugin } from "./dashboard/plugin.ts";
import type { InputEnricher } from "./enrich.ts";
import { ADMIN_EVENTS_PATH, AdminEvents } from "./events/admin-events.ts";
import { IdentityEnricher } from "./identity/identity-enricher.ts";
import { JwksCache } from "./identity/jwks-cache.ts";
import { JwtVerifier } from "./identity/jwt-verifier.ts";
import { decisionLogger } from "./ops/decision-log.ts";
import { displayUrl } from "./ops/display-url.ts";
import { AuthzMetrics } from "./ops/metrics.ts";
import { createRedactor } from "./ops/redact.ts";
import { ActivePolicy } from "./policy/active-policy.ts";
import { runtimeInfo } from "./policy/builtins/runtime.ts";
import { BundleSource } from "./policy/bundle-source.ts";
import type { SignatureVerification } from "./policy/signature.ts";
import type { RateLimitRuntimeContext } from "./ratelimit/runtime.ts";
import { type RiskAssessor, RiskEnricher } from "./risk-enricher.ts";
import type { RiskRuntime, RiskRuntimeContext } from "./risk-runtime.ts";
import { Admission } from "./transport/admission.ts";
import { GrpcTransport, type TlsFiles } from "./transport/grpc-server.ts";
import { HttpTransport } from "./transport/http-server.ts";

/** The repository's version: what `opa.runtime().version` answers. */
const MESHWARD_VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

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
  /** Builds the risk engine with metrics and logging (main.ts: risk-runtime.ts); also mounts the
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

/** The admin token from `risk.admin` (inline or file; a file's trailing newline is dropped). */
function adminToken(admin: NonNullable<NonNullable<AuthzConfig["risk"]>["admin"]>): string {
  const token = admin.token ?? readFileSync(admin.tokenFile as string, "utf8").trim();
  if (token.length < MIN_ADMIN_TOKEN_LENGTH)
    throw Object.assign(
      new Error(`risk.admin.tokenFile: the token must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`),
      {
        code: "MW_CONFIG",
      },
    );
  return token;
}

function tlsFiles(tls: TlsConfig | undefined): TlsFiles | undefined {
  if (!tls) return undefined;
  const files: TlsFiles = { cert: readFileSync(tls.certFile, "utf8"), key: readFileSync(tls.keyFile, "utf8") };
  if (tls.clientCaFile) files.clientCa = readFileSync(tls.clientCaFile, "utf8");
  return files;
}

/** The JWS algorithm a public key implies when the config names none (OPA's keys default to RS256). */
function defaultAlgorithm(key: KeyObject, file: string): string {
  if (key.asymmetricKeyType === "rsa") return "RS256";
  if (key.asymmetricKeyType === "ed25519") return "EdDSA";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const byCurve: Record<string, string> = { prime256v1: "ES256", secp384r1: "ES384", secp521r1: "ES512" };
  const alg = curve ? byCurve[curve] : undefined;
  if (!alg)
    throw Object.assign(new Error(`${file}: cannot infer a signing algorithm, set bundle.signing.keys.*.algorithm`), {
      code: "MW_CONFIG",
    });
  return alg;
}

function signatureVerification(config: AuthzConfig): SignatureVerification | undefined {
  const signing = config.bundle.signing;
  if (!signing) return undefined;
  const keys: SignatureVerification["keys"] = {};
  for (const [id, k] of Object.entries(signing.keys)) {
    const bytes = readFileSync(k.keyFile);
    if (k.algorithm?.startsWith("HS")) {
      keys[id] = { algorithm: k.algorithm, key: createSecretKey(bytes) };
      continue;
    }
    const key = createPublicKey(bytes);
    keys[id] = { algorithm: k.algorithm ?? defaultAlgorithm(key, k.keyFile), key };
  }
  return {
    keys,
    excludeFiles: signing.excludeFiles,
    ...(signing.keyId ? { keyId: signing.keyId } : {}),
    ...(signing.scope ? { scope: signing.scope } : {}),
  };
}

/** The CheckService settings a config implies (also used by the benchmark and tests). */
export function checkServiceOptions(config: AuthzConfig): CheckServiceOptions {
  return {
    defaultEntrypoint: config.policy.defaultEntrypoint,
    entrypointContextKey: config.policy.entrypointContextKey,
    errorStatus: config.check.errorStatus,
    requestParseErrorStatus: config.check.requestParseErrorStatus,
    dryRun: config.policy.dryRun,
    checkTimeoutMs: config.check.timeoutMs,
    translate: {
      skipBodyParse: config.policy.skipBodyParse,
      maxBodyParseBytes: config.policy.maxBodyParseBytes,
      maxBodyDepth: config.policy.maxBodyDepth,
    },
  };
}

/** The RateLimitService (loaded only when configured): the runtime, its methods for the authz
 *  listener, or its own listener (`rateLimit.grpc`, same TLS files as the authz one). */
async function startRateLimit(
  config: NonNullable<AuthzConfig["rateLimit"]>,
  context: RateLimitRuntimeContext,
  maxConcurrentStreams: number,
) {
  const [{ createRateLimitRuntime }, methods, { H2GrpcServer }] = await Promise.all([
    import("./ratelimit/runtime.ts"),
    import("./transport/ratelimit-grpc.ts"),
    import("./transport/h2-grpc-server.ts"),
  ]);
  const runtime = createRateLimitRuntime(config, context);
  const own = config.grpc;
  let transport: InstanceType<typeof H2GrpcServer> | undefined;
  return {
    runtime,
    name: methods.RATE_LIMIT_SERVICE,
    methods: methods.rateLimitMethods(runtime.service),
    listen: own
      ? async (tls: TlsFiles | undefined) => {
          transport = new H2GrpcServer({
            maxReceiveBytes: own.maxMessageBytes,
            maxConcurrentStreams,
            ...(tls ? { tls } : {}),
          });
          for (const [path, method] of Object.entries(methods.ownListenerMethods(runtime.service, runtime.ready)))
            transport.add(path, method);
          return transport.listen(own.host, own.port);
        }
      : undefined,
    async close() {
      await transport?.close();
      await runtime.close();
    },
  };
}

export async function startAuthzServer(config: AuthzConfig, deps: ServerDependencies = {}): Promise<RunningServer> {
  const logger = deps.logger ?? pino({ level: config.logging.level, base: { service: "meshward-authz" } });
  const nowMs = deps.nowMs ?? Date.now;
  const metrics = new AuthzMetrics(nowMs);
  metrics.bundlePolling(config.bundle.pollIntervalMs);
  const signature = signatureVerification(config);
  const { limits } = config.bundle;
  const policy = new ActivePolicy({
    nowMs,
    runtime: runtimeInfo(process.env, MESHWARD_VERSION),
    limits: { maxUnpackedBytes: limits.maxUnpackedBytes, maxEntries: limits.maxEntries },
    defaultEntrypoint: config.policy.defaultEntrypoint,
    ...(signature ? { signature } : {}),
  });
  const bundles = new BundleSource(policy, config.bundle.source, {
    pollIntervalMs: config.bundle.pollIntervalMs,
    maxDownloadBytes: limits.maxDownloadBytes,
    onResult: (outcome) => {
      if (outcome.result === "error") {
        metrics.bundleStatus(policy.bundleStatus, "error", outcome.code);
        logger.error(
          { event: "bundle", source: bundles.shown, reason: outcome.code, error: outcome.message },
          "bundle refused",
        );
      } else {
        metrics.bundleStatus(policy.bundleStatus, outcome.result);
        if (outcome.result === "ok") {
          const { warnings, ...status } = policy.bundleStatus;
          logger.info({ event: "bundle", ...status }, "bundle activated");
          for (const warning of warnings ?? []) logger.warn({ event: "bundle", ...status, warning }, "bundle warning");
        }
      }
    },
  });
  // Without a good bundle the server still starts: it answers every check with a coded deny
  // (MW_BUNDLE_*) and reports not ready until one is activated. Exiting instead would turn a bad
  // bundle into a crash loop, which Envoy's `failure_mode_allow: true` turns into allow-all.
  const first = await bundles.load();
  if (first.result === "error" && config.bundle.pollIntervalMs === 0)
    logger.error(
      { event: "bundle", source: bundles.shown, reason: first.code },
      "no bundle is active and bundle.pollIntervalMs is 0: every check is denied until a restart",
    );

  let identity: IdentityEnricher | undefined;
  const jwt = config.identity.jwt;
  if (jwt || config.identity.spiffe.enabled) {
    let jwtOptions: ConstructorParameters<typeof IdentityEnricher>[0]["jwt"];
    if (jwt) {
      const jwks = new JwksCache({
        url: jwt.jwksUrl,
        cacheMs: jwt.jwksCacheMs,
        minRefetchMs: jwt.jwksMinRefetchMs,
        timeoutMs: jwt.jwksTimeoutMs,
        maxBytes: jwt.jwksMaxBytes,
        nowMs,
        onFetch: (result, trigger, { error, keysExpireAtMs }) => {
          metrics.jwksFetch(result, trigger, keysExpireAtMs);
          if (error) logger.warn({ event: "jwks", url: displayUrl(jwt.jwksUrl), trigger, error }, "JWKS fetch failed");
        },
      });
      jwtOptions = { config: jwt, verifier: new JwtVerifier(jwt, jwks), jwksStatus: () => jwks.status() };
    }
    identity = new IdentityEnricher({
      spiffe: config.identity.spiffe.enabled,
      ...(jwtOptions ? { jwt: jwtOptions } : {}),
    });
  }
  const riskRuntime = deps.riskRuntime ? await deps.riskRuntime({ metrics, logger, nowMs }) : undefined;
  const riskEngine = riskRuntime?.engine ?? deps.risk;
  const failedLoginHeader = config.risk?.failedLoginHeader;
  const risk = riskEngine
    ? new RiskEnricher(riskEngine, nowMs, {
        claimedPrincipal: claimedPrincipalReader({
          ...(jwt ? { jwt } : {}),
          ...(failedLoginHeader ? { header: failedLoginHeader } : {}),
        }),
        onOutcome: (kind) => metrics.riskOutcome(kind),
      })
    : undefined;
  const admin = config.risk?.admin;
  if (admin && !config.http.enabled)
    throw Object.assign(new Error("risk.admin: the admin endpoint needs the HTTP listener (http.enabled)"), {
      code: "MW_CONFIG",
    });
  if (admin && `${ADMIN_EVENTS_PATH}/`.startsWith(`${config.http.checkPathPrefix}/`))
    throw Object.assign(
      new Error(
        `risk.admin: ${ADMIN_EVENTS_PATH} would shadow checks under http.checkPathPrefix ${config.http.checkPathPrefix}`,
      ),
      { code: "MW_CONFIG" },
    );
  const adminEvents =
    admin && riskRuntime
      ? new AdminEvents({
          token: adminToken(admin),
          apply: (body, now) => riskRuntime.applyEvent(body, now),
          nowMs,
          onResult: (outcome, type, detail) => {
            metrics.securityEvent(type, outcome);
            if (outcome !== "accepted")
              logger.warn({ event: "security_event", outcome, type, detail }, "security event not applied");
          },
        })
      : undefined;
  const enrichers: InputEnricher[] = [
    ...(identity ? [identity] : []),
    ...(risk ? [risk] : []),
    ...(deps.enrichers ?? []),
  ];

  const observers = [metrics.observeCheck, ...(risk ? [risk.observe] : [])];
  // The live page (dashboard.enabled): recent decisions from its own observer, numbers from /metrics.
  const feed = config.dashboard.enabled ? new DecisionFeed(200, nowMs) : undefined;
  if (feed) observers.push(feed.observe);
  if (config.logging.decisions.enabled) {
    const redact = createRedactor({
      headers: jwt ? [jwt.header] : [],
      paths: config.logging.decisions.redactPaths,
      bodyPaths: config.logging.decisions.bodyPaths,
    });
    observers.push(decisionLogger(logger, { sampleRate: config.logging.decisions.sampleRate, redact }));
  }
  const checks = new CheckService(checkServiceOptions(config), {
    policy,
    enrichers,
    observers,
    clock: { nowMs, monotonicMs: () => performance.now() },
    onOverload: () => metrics.overloaded(config.policy.dryRun),
  });
  // One admission control for both listeners: the caps bound the whole process.
  const admission = new Admission({
    maxChecks: config.check.maxInFlight,
    maxBytes: config.check.maxBytesInFlight,
    largeCheckBytes: config.check.largeCheckBytes,
    largeConcurrency: config.check.largeConcurrency,
  });
  metrics.inFlight(() => ({ checks: admission.checksInFlight, bytes: admission.bytesInFlight }));
  const isReady = () => policy.evaluator !== undefined;
  metrics.reportReadiness(isReady);
  const metricsText = deps.aggregateMetrics ? deps.aggregateMetrics(metrics) : () => metrics.text();
  const grpcTls = tlsFiles(config.grpc.tls);
  const grpcTransport = new GrpcTransport(checks, isReady, {
    maxReceiveBytes: config.grpc.maxMessageBytes,
    maxConcurrentStreams: config.grpc.maxConcurrentStreams,
    admission,
  });
  const rateLimit = config.rateLimit
    ? await startRateLimit(
        config.rateLimit,
        { registry: metrics.registry, logger, nowMs, workers: deps.workers ?? 1 },
        config.grpc.maxConcurrentStreams,
      )
    : undefined;
  if (rateLimit && !config.rateLimit?.grpc)
    grpcTransport.addService(rateLimit.name, rateLimit.methods, rateLimit.runtime.ready);
  const grpcPort = await grpcTransport.listen({
    host: config.grpc.host,
    port: config.grpc.port,
    ...(grpcTls ? { tls: grpcTls } : {}),
  });
  const rateLimitPort = rateLimit ? (rateLimit.listen ? await rateLimit.listen(grpcTls) : grpcPort) : 0;
  let httpTransport: HttpTransport | undefined;
  let httpPort = 0;
  if (config.http.enabled) {
    const httpTls = tlsFiles(config.http.tls);
    httpTransport = new HttpTransport(checks, {
      host: config.http.host,
      port: config.http.port,
      ...(httpTls ? { tls: httpTls } : {}),
      checkPathPrefix: config.http.checkPathPrefix,
      entrypointContextKey: config.policy.entrypointContextKey,
      principalFromXfcc: config.http.principalFromXfcc,
      ...(config.http.entrypointHeader ? { entrypointHeader: config.http.entrypointHeader } : {}),
      maxBodyBytes: config.http.maxBodyBytes,
      requestTimeoutMs: config.http.requestTimeoutMs,
      checkTimeoutMs: config.check.timeoutMs,
      admission,
      isReady,
      metrics: metricsText,
      ...(adminEvents
        ? {
            adminEvents: (authorization, body) => adminEvents.handle(authorization, body),
            adminPath: ADMIN_EVENTS_PATH,
          }
        : {}),
      status: () => ({
        ready: isReady(),
        dryRun: config.policy.dryRun,
        bundle: policy.bundleStatus,
        identity: identity?.status(),
        risk: riskRuntime?.status(),
        rateLimit: rateLimit?.runtime.status(),
      }),
      ...(feed
        ? {
            plugins: [
              dashboardPlugin({
                feed,
                authzMetrics: metricsText,
                nowMs,
                ...(config.dashboard.envoyAdminUrl ? { envoyAdminUrl: config.dashboard.envoyAdminUrl } : {}),
                ...(config.dashboard.controlUrl ? { controlUrl: config.dashboard.controlUrl } : {}),
              }),
            ],
          }
        : {}),
    });
    httpPort = await httpTransport.listen();
  }
  bundles.start();
  return {
    grpcPort,
    rateLimitPort,
    httpPort,
    policy,
    checks,
    metrics,
    bundles,
    admission,
    close: async () => {
      bundles.stop();
      await Promise.all([grpcTransport.close(), httpTransport?.close(), rateLimit?.close()]);
      await riskRuntime?.close();
    },
  };
}
