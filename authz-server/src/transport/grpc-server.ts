// gRPC listener: envoy.service.auth.v3.Authorization/Check and grpc.health.v1.Health, served by
// h2-grpc-server.ts (gRPC directly on node:http2). Only transport concerns live here; decisions
// come from CheckService.
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { CheckOutcome, CheckService } from "../check-service.ts";
import { Authorization, type CheckRequest, CheckRequestSchema } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import {
  Health,
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../gen/grpc/health/v1/health_pb.ts";
import { encodeCheckResponse } from "../translate/response-binary.ts";
import { GrpcError, GrpcStatus } from "./grpc-wire.ts";
import { H2GrpcServer, type TlsFiles } from "./h2-grpc-server.ts";

export type { TlsFiles } from "./h2-grpc-server.ts";

export interface GrpcListenOptions {
  host: string;
  port: number;
  tls?: TlsFiles;
}

export interface GrpcTransportOptions {
  /** Largest CheckRequest accepted, bytes (default 8 MiB). */
  maxReceiveBytes?: number;
  /** Ping each connection this often, ms (default: never; clients such as Envoy ping themselves). */
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
}

/** The service names this server reports health for; "" is the whole server. */
const HEALTH_SERVICES = new Set(["", Authorization.typeName]);

function decoder<T extends DescMessage>(schema: T): (bytes: Uint8Array) => MessageShape<T> {
  return (bytes) => fromBinary(schema, bytes);
}

function encoder<T extends DescMessage>(schema: T): (message: MessageShape<T>) => Uint8Array {
  return (message) => toBinary(schema, message);
}

export class GrpcTransport {
  private server: H2GrpcServer | undefined;

  constructor(
    private readonly checks: CheckService,
    private readonly isReady: () => boolean,
    private readonly options: GrpcTransportOptions = {},
  ) {}

  private healthStatus(): HealthCheckResponse {
    const status = this.isReady()
      ? HealthCheckResponse_ServingStatus.SERVING
      : HealthCheckResponse_ServingStatus.NOT_SERVING;
    return create(HealthCheckResponseSchema, { status });
  }

  private build(tls: TlsFiles | undefined): H2GrpcServer {
    const server = new H2GrpcServer({
      maxReceiveBytes: this.options.maxReceiveBytes ?? 8 * 1024 * 1024,
      ...(this.options.keepaliveTimeMs !== undefined ? { keepaliveTimeMs: this.options.keepaliveTimeMs } : {}),
      ...(this.options.keepaliveTimeoutMs !== undefined ? { keepaliveTimeoutMs: this.options.keepaliveTimeoutMs } : {}),
      ...(tls ? { tls } : {}),
    });
    const checks = this.checks;
    server.add(`/${Authorization.typeName}/Check`, {
      kind: "unary",
      decode: decoder(CheckRequestSchema),
      encode: (outcome: CheckOutcome) => encodeCheckResponse(outcome.decision, outcome.record.decisionId),
      // CheckService never rejects: failures are coded denies. Were it to, the call fails INTERNAL
      // and Envoy applies status_on_error (a deny unless failure_mode_allow is set).
      handle: (request: CheckRequest, call) => checks.check(request, call.deadlineMs),
    });
    server.add(`/${Health.typeName}/Check`, {
      kind: "unary",
      decode: decoder(HealthCheckRequestSchema),
      encode: encoder(HealthCheckResponseSchema),
      handle: (request: HealthCheckRequest) => {
        if (!HEALTH_SERVICES.has(request.service))
          throw new GrpcError(GrpcStatus.NOT_FOUND, `unknown service ${request.service}`);
        return this.healthStatus();
      },
    });
    server.add(`/${Health.typeName}/Watch`, {
      kind: "server-stream",
      decode: decoder(HealthCheckRequestSchema),
      encode: encoder(HealthCheckResponseSchema),
      // Streams the current status once; Envoy and kubelet use Check. The stream stays open until
      // the client cancels, as the protocol expects.
      handle: (request: HealthCheckRequest, stream) => {
        stream.write(
          HEALTH_SERVICES.has(request.service)
            ? this.healthStatus()
            : create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN }),
        );
      },
    });
    return server;
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  listen(options: GrpcListenOptions): Promise<number> {
    this.server = this.build(options.tls);
    return this.server.listen(options.host, options.port);
  }

  close(graceMs = 2000): Promise<void> {
    return this.server?.close(graceMs) ?? Promise.resolve();
  }
}
