// gRPC listener: envoy.service.auth.v3.Authorization/Check and grpc.health.v1.Health.
// Only transport concerns live here; decisions come from CheckService.
// Bounds: a CheckRequest above `maxMessageBytes` is refused by grpc-js from its length prefix,
// before it is buffered (RESOURCE_EXHAUSTED, which Envoy answers with `status_on_error`); Check
// receives the request's bytes undecoded and admission control (admission.ts) refuses a check
// beyond the in-flight caps before decoding it, with a coded deny.
import { create, fromBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import type { CheckService } from "../check-service.ts";
import {
  Authorization,
  CheckRequestSchema,
  type CheckResponse,
} from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../gen/grpc/health/v1/health_pb.ts";
import type { Admission } from "./admission.ts";
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
function monotonicDeadline(deadline: grpc.Deadline): number | undefined {
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

/** The service names this server reports health for; "" is the whole server. */
const HEALTH_SERVICES = new Set(["", "envoy.service.auth.v3.Authorization"]);

export interface GrpcTransportOptions {
  maxMessageBytes: number;
  maxConcurrentStreams: number;
  admission: Admission;
}

export class GrpcTransport {
  private readonly server: grpc.Server;
  private boundPort = 0;

  constructor(
    private readonly checks: CheckService,
    private readonly isReady: () => boolean,
    options: GrpcTransportOptions,
  ) {
    const { admission } = options;
    this.server = new grpc.Server({
      "grpc.max_receive_message_length": options.maxMessageBytes,
      "grpc.max_concurrent_streams": options.maxConcurrentStreams,
    });
    this.server.addService(toGrpcServiceDefinition(Authorization, ["Check"]), {
      check: (call: grpc.ServerUnaryCall<Buffer, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) => {
        const bytes = call.request;
        const size = bytes.length;
        if (!admission.tryAdmit(size)) return void callback(null, this.checks.overloaded());
        const deadline = monotonicDeadline(call.getDeadline());
        // A large check may wait in the lane: if Envoy gave up meanwhile, nobody reads the answer.
        const decide = () =>
          call.cancelled
            ? Promise.resolve({ response: this.checks.abandoned() })
            : this.checks.check(fromBinary(CheckRequestSchema, bytes), deadline);
        admission.schedule(size, decide).then(
          (outcome) => {
            admission.release(size);
            callback(null, outcome.response);
          },
          // CheckService turns failures into denies itself: this is a request that did not decode,
          // or the last resort. A gRPC error makes Envoy apply status_on_error (a deny unless
          // failure_mode_allow is set).
          (err: Error) => {
            admission.release(size);
            callback({ code: grpc.status.INVALID_ARGUMENT, details: err.message });
          },
        );
      },
    });
    this.server.addService(toGrpcServiceDefinition(Health), {
      check: (
        call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
        callback: grpc.sendUnaryData<HealthCheckResponse>,
      ) => {
        if (!HEALTH_SERVICES.has(call.request.service)) {
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
          return;
        }
        callback(null, this.healthStatus());
      },
      watch: (call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        // Streams the current status once; Envoy and kubelet use Check. The stream stays open until
        // the client cancels, as the protocol expects.
        call.write(
          HEALTH_SERVICES.has(call.request.service)
            ? this.healthStatus()
            : create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN }),
        );
      },
    });
  }

  private healthStatus(): HealthCheckResponse {
    const status = this.isReady()
      ? HealthCheckResponse_ServingStatus.SERVING
      : HealthCheckResponse_ServingStatus.NOT_SERVING;
    return create(HealthCheckResponseSchema, { status });
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
