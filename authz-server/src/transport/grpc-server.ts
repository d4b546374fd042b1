// gRPC listener: envoy.service.auth.v3.Authorization/Check and grpc.health.v1.Health, plus any
// service added with `addService` (the RateLimitService). Only transport concerns live here;
// decisions come from CheckService.
import { create, type DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import type { CheckService } from "../check-service.ts";
import { Authorization, type CheckRequest, type CheckResponse } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../gen/grpc/health/v1/health_pb.ts";
import { toGrpcServiceDefinition } from "./grpc-adapter.ts";

export interface TlsFiles {
  /** PEM certificate chain and private key of this listener. */
  cert: string;
  key: string;
  /** PEM CA bundle; when set, clients must present a certificate it signed (mTLS). */
  clientCa?: string;
}

export interface GrpcListenOptions {
  host: string;
  port: number;
  tls?: TlsFiles;
}

/** A gRPC deadline (wall-clock Date, or Infinity) on the monotonic clock CheckService uses. */
export function monotonicDeadline(deadline: grpc.Deadline): number | undefined {
  const wall = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(wall)) return undefined;
  return performance.now() + (wall - Date.now());
}

function credentials(tls: TlsFiles | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    tls.clientCa ? Buffer.from(tls.clientCa) : null,
    [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
    tls.clientCa !== undefined,
  );
}

function healthStatus(ready: boolean): HealthCheckResponse {
  const status = ready ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING;
  return create(HealthCheckResponseSchema, { status });
}

export class GrpcTransport {
  private readonly server = new grpc.Server({ "grpc.max_receive_message_length": 8 * 1024 * 1024 });
  private boundPort = 0;
  /** The service names this server reports health for ("" is the whole server), with their readiness. */
  private readonly health = new Map<string, () => boolean>();

  constructor(
    private readonly checks: CheckService,
    isReady: () => boolean,
  ) {
    this.health.set("", isReady).set(Authorization.typeName, isReady);
    this.server.addService(toGrpcServiceDefinition(Authorization), {
      check: (call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) => {
        this.checks.check(call.request, monotonicDeadline(call.getDeadline())).then(
          (outcome) => callback(null, outcome.response),
          // CheckService turns failures into denies itself; this is the last resort, and a gRPC
          // error makes Envoy apply status_on_error (a deny unless failure_mode_allow is set).
          (err: Error) => callback({ code: grpc.status.INTERNAL, details: err.message }),
        );
      },
    });
    this.server.addService(toGrpcServiceDefinition(Health), {
      check: (
        call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        callback: grpc.sendUnaryData<HealthCheckResponse>,
      ) => {
        const ready = this.health.get(call.request.service);
        if (!ready) {
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
          return;
        }
        callback(null, healthStatus(ready()));
      },
      watch: (call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        // Streams the current status once; Envoy and kubelet use Check. The stream stays open until
        // the client cancels, as the protocol expects.
        const ready = this.health.get(call.request.service);
        call.write(
          ready
            ? healthStatus(ready())
            : create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN }),
        );
      },
    });
  }

  /** Serves `service` too; its health is reported under its full name. */
  addService(service: DescService, implementation: grpc.UntypedServiceImplementation, ready: () => boolean): void {
    this.server.addService(toGrpcServiceDefinition(service), implementation);
    this.health.set(service.typeName, ready);
  }

  get port(): number {
    return this.boundPort;
  }

  listen(options: GrpcListenOptions): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${options.host}:${options.port}`, credentials(options.tls), (err, port) => {
        if (err) return reject(err);
        this.boundPort = port;
        resolve(port);
      });
    });
  }

  close(graceMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
