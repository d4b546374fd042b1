// The listeners, started last: gRPC (Check, health, and the RateLimitService when it shares the
// port), the RateLimitService's own port when configured, and the HTTP listener (HTTP ext_authz,
// operations endpoints, admin events, the live page). The only place that reads TLS files.
import { readFileSync } from "node:fs";
import type { CheckService } from "../check/check-service.ts";
import type { TlsConfig } from "../config/schema.ts";
import type { DecisionFeed } from "../dashboard/decision-feed.ts";
import { dashboardRoutes } from "../dashboard/routes.ts";
import { ADMIN_EVENTS_PATH, type AdminEvents } from "../events/admin-events.ts";
import type { Admission } from "../transport/admission.ts";
import { GrpcTransport, type TlsFiles } from "../transport/grpc-server.ts";
import { HttpTransport, type HttpTransportOptions } from "../transport/http-server.ts";
import type { RateLimitWiring } from "./ratelimit-wiring.ts";
import type { Wiring } from "./wiring.ts";

export interface ListenerParts {
  checks: CheckService;
  admission: Admission;
  isReady: () => boolean;
  metricsText: () => Promise<string>;
  status: () => unknown;
  rateLimit: RateLimitWiring | undefined;
  adminEvents: AdminEvents | undefined;
  feed: DecisionFeed | undefined;
}

export interface Listeners {
  grpcPort: number;
  rateLimitPort: number;
  /** 0 when the HTTP listener is disabled. */
  httpPort: number;
  close(): Promise<void>;
}

function tlsFiles(tls: TlsConfig | undefined): TlsFiles | undefined {
  if (!tls) return undefined;
  const files: TlsFiles = { cert: readFileSync(tls.certFile, "utf8"), key: readFileSync(tls.keyFile, "utf8") };
  if (tls.clientCaFile) files.clientCa = readFileSync(tls.clientCaFile, "utf8");
  return files;
}

function httpOptions({ config, nowMs }: Wiring, parts: ListenerParts): HttpTransportOptions {
  const { http, dashboard } = config;
  const tls = tlsFiles(http.tls);
  const { adminEvents, feed } = parts;
  return {
    host: http.host,
    port: http.port,
    ...(tls ? { tls } : {}),
    checkPathPrefix: http.checkPathPrefix,
    entrypointContextKey: config.policy.entrypointContextKey,
    principalFromXfcc: http.principalFromXfcc,
    ...(http.entrypointHeader ? { entrypointHeader: http.entrypointHeader } : {}),
    maxBodyBytes: http.maxBodyBytes,
    requestTimeoutMs: http.requestTimeoutMs,
    checkTimeoutMs: config.check.timeoutMs,
    admission: parts.admission,
    isReady: parts.isReady,
    metrics: parts.metricsText,
    status: parts.status,
    ...(adminEvents
      ? { adminEvents: (authorization, body) => adminEvents.handle(authorization, body), adminPath: ADMIN_EVENTS_PATH }
      : {}),
    ...(feed
      ? {
          routeGroups: [
            dashboardRoutes({
              feed,
              authzMetrics: parts.metricsText,
              nowMs,
              ...(dashboard.envoyAdminUrl ? { envoyAdminUrl: dashboard.envoyAdminUrl } : {}),
              ...(dashboard.controlUrl ? { controlUrl: dashboard.controlUrl } : {}),
            }),
          ],
        }
      : {}),
  };
}

export async function startListeners(wiring: Wiring, parts: ListenerParts): Promise<Listeners> {
  const { config } = wiring;
  const { rateLimit } = parts;
  const grpcTls = tlsFiles(config.grpc.tls);
  const grpc = new GrpcTransport(parts.checks, parts.isReady, {
    maxReceiveBytes: config.grpc.maxMessageBytes,
    maxConcurrentStreams: config.grpc.maxConcurrentStreams,
    admission: parts.admission,
  });
  if (rateLimit && !rateLimit.listen) grpc.addService(rateLimit.name, rateLimit.methods, rateLimit.runtime.ready);
  const grpcPort = await grpc.listen({
    host: config.grpc.host,
    port: config.grpc.port,
    ...(grpcTls ? { tls: grpcTls } : {}),
  });
  const rateLimitPort = rateLimit ? (rateLimit.listen ? await rateLimit.listen(grpcTls) : grpcPort) : 0;
  const http = config.http.enabled ? new HttpTransport(parts.checks, httpOptions(wiring, parts)) : undefined;
  const httpPort = http ? await http.listen() : 0;
  return {
    grpcPort,
    rateLimitPort,
    httpPort,
    close: async () => {
      await Promise.all([grpc.close(), http?.close(), rateLimit?.close()]);
    },
  };
}
