// gRPC listener: envoy.service.auth.v3.Authorization/Check and grpc.health.v1.Health, served by
// h2-grpc-server.ts (gRPC directly on node:http2), plus any service added with `addService` (the
// RateLimitService when it shares this listener). Only transport concerns live here; decisions
// come from CheckService.
// Bounds: a CheckRequest above `maxReceiveBytes` is refused from its length prefix, before it is
// buffered (RESOURCE_EXHAUSTED, which Envoy answers with `status_on_error`); Check receives the
// request's bytes undecoded, and admission control (admission.ts) refuses a check beyond the
// in-flight caps before decoding it, with a coded deny; large checks wait their turn in its lane.
// For its fairness rule the caller is the HTTP/2 connection: Envoy keeps one per worker thread, so
// one flooding proxy (or client) cannot take the slots other connections need.
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { CheckOutcome, CheckService } from "../check/check-service.ts";
import { Authorization, CheckRequestSchema } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import {
  Health,
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../gen/grpc/health/v1/health_pb.ts";
import { encodeCheckResponse } from "../translate/response-binary.ts";
import type { Admission } from "./admission.ts";
import { GrpcError, GrpcStatus } from "./grpc-wire.ts";
import { type GrpcMethod, H2GrpcServer, type TlsFiles } from "./h2-grpc-server.ts";

export type { TlsFiles } from "./h2-grpc-server.ts";

export interface GrpcListenOptions {
  host: string;
  port: number;
  tls?: TlsFiles;
}

export interface GrpcTransportOptions {
  /** Largest CheckRequest accepted, bytes (default 1 MiB). */
  maxReceiveBytes?: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection. */
  maxConcurrentStreams?: number;
  /** In-flight caps shared with the HTTP listener; none = every check admitted (tests). */
  admission?: Admission;
  /** Ping each connection this often, ms (default: never; clients such as Envoy ping themselves). */
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
}

function decodeCheck(bytes: Uint8Array) {
  try {
    return fromBinary(CheckRequestSchema, bytes);
  } catch (err) {
    throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, `request not decoded: ${(err as Error).message}`);
  }
}

/** A large check may wait in the admission lane: if the caller's deadline passed meanwhile,
 *  nobody reads the answer, so it is not decoded. */
function decideUnlessLate(checks: CheckService, bytes: Uint8Array, deadlineMs: number | undefined) {
  if (deadlineMs !== undefined && performance.now() > deadlineMs) return Promise.resolve(checks.abandoned());
  return checks.check(decodeCheck(bytes), deadlineMs);
}

function decoder<T extends DescMessage>(schema: T): (bytes: Uint8Array) => MessageShape<T> {
  return (bytes) => fromBinary(schema, bytes);
}

function encoder<T extends DescMessage>(schema: T): (message: MessageShape<T>) => Uint8Array {
  return (message) => toBinary(schema, message);
}

/** grpc.health.v1's answer for a service whose readiness is `ready`. */
export function healthStatus(ready: boolean): HealthCheckResponse {
  const status = ready ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING;
  return create(HealthCheckResponseSchema, { status });
}

export class GrpcTransport {
  private server: H2GrpcServer | undefined;
  /** The service names this server reports health for ("" is the whole server), with their readiness. */
  private readonly health = new Map<string, () => boolean>();
  private readonly extra = new Map<string, GrpcMethod>();

  constructor(
    private readonly checks: CheckService,
    isReady: () => boolean,
    private readonly options: GrpcTransportOptions = {},
  ) {
    this.health.set("", isReady).set(Authorization.typeName, isReady);
  }

  /** Serves more methods (by path) under the service `name`, whose health is `ready`; before listen.
   *  They are outside the checks' admission control (it counts checks), within the message cap. */
  addService(name: string, methods: Record<string, GrpcMethod>, ready: () => boolean): void {
    for (const [path, method] of Object.entries(methods)) this.extra.set(path, method);
    this.health.set(name, ready);
  }

  private healthStatus(service: string): HealthCheckResponse | undefined {
    const ready = this.health.get(service);
    return ready ? healthStatus(ready()) : undefined;
  }

  private build(tls: TlsFiles | undefined): H2GrpcServer {
    const server = new H2GrpcServer({
      maxReceiveBytes: this.options.maxReceiveBytes ?? 1024 * 1024,
      ...(this.options.maxConcurrentStreams !== undefined
        ? { maxConcurrentStreams: this.options.maxConcurrentStreams }
        : {}),
      ...(this.options.keepaliveTimeMs !== undefined ? { keepaliveTimeMs: this.options.keepaliveTimeMs } : {}),
      ...(this.options.keepaliveTimeoutMs !== undefined ? { keepaliveTimeoutMs: this.options.keepaliveTimeoutMs } : {}),
      ...(tls ? { tls } : {}),
    });
    const checks = this.checks;
    const admission = this.options.admission;
    server.add(`/${Authorization.typeName}/Check`, {
      kind: "unary",
      // Undecoded: admission looks at the size before anything is decoded.
      decode: (bytes: Uint8Array) => bytes,
      encode: (outcome: CheckOutcome) => encodeCheckResponse(outcome.decision, outcome.record.decisionId),
      // CheckService never rejects: failures are coded denies. A request that does not decode, or a
      // rejection, fails the call (INVALID_ARGUMENT, INTERNAL) and Envoy applies status_on_error (a
      // deny unless failure_mode_allow is set).
      // No named closures per call here: the TypeScript loader keeps function names, which costs
      // a defineProperty for every closure bound to a name (~2 % of a check's CPU in a profile).
      handle: (bytes: Uint8Array, call) => {
        if (!admission) return checks.check(decodeCheck(bytes), call.deadlineMs);
        const size = bytes.length;
        const caller = call.connection;
        if (!admission.tryAdmit(size, caller)) return checks.overloaded();
        let pending: Promise<CheckOutcome>;
        try {
          pending = admission.schedule(size, () => decideUnlessLate(checks, bytes, call.deadlineMs));
        } catch (err) {
          admission.release(size, caller); // a small check that did not decode
          throw err;
        }
        return pending.then(
          (outcome) => {
            admission.release(size, caller);
            return outcome;
          },
          (err: unknown) => {
            admission.release(size, caller);
            throw err;
          },
        );
      },
    });
    server.add(`/${Health.typeName}/Check`, {
      kind: "unary",
      decode: decoder(HealthCheckRequestSchema),
      encode: encoder(HealthCheckResponseSchema),
      handle: (request: HealthCheckRequest) => {
        const status = this.healthStatus(request.service);
        if (!status) throw new GrpcError(GrpcStatus.NOT_FOUND, `unknown service ${request.service}`);
        return status;
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
          this.healthStatus(request.service) ??
            create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN }),
        );
      },
    });
    for (const [path, method] of this.extra) server.add(path, method);
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
