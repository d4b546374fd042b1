// envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit over gRPC: as a grpc-js service on
// the authz listener, or as methods of the lean unary server (unary-grpc-server.ts) on the
// service's own listener, with grpc.health.v1 Check beside it. Refusals of the service become
// gRPC errors whose message starts with the MW_RL_* code: a malformed or oversized request →
// INVALID_ARGUMENT, an unknown domain → NOT_FOUND, anything else → INTERNAL. Envoy's ratelimit
// filter treats every error alike and applies its `failure_mode_deny`.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { ErrorCodes, errorCodeOf } from "../errors.ts";
import {
  type RateLimitRequest,
  RateLimitRequestSchema,
  type RateLimitResponse,
  RateLimitResponseSchema,
  RateLimitService as RateLimitServiceDesc,
} from "../gen/envoy/service/ratelimit/v3/rls_pb.ts";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../gen/grpc/health/v1/health_pb.ts";
import type { RateLimitService } from "../ratelimit/ratelimit-service.ts";
import { monotonicDeadline } from "./grpc-server.ts";
import { GrpcError, GrpcStatus, type UnaryMethod } from "./unary-grpc-server.ts";

const STATUS_OF: Record<string, number> = {
  [ErrorCodes.rateLimitBadRequest]: GrpcStatus.invalidArgument,
  [ErrorCodes.rateLimitUnknownDomain]: GrpcStatus.notFound,
};

function refusal(err: Error): { code: number; details: string } {
  const code = errorCodeOf(err);
  return { code: STATUS_OF[code] ?? GrpcStatus.internal, details: `${code}: ${err.message}` };
}

/** The grpc-js implementation (the authz listener serves it beside Check). */
export function rateLimitHandlers(service: RateLimitService): grpc.UntypedServiceImplementation {
  return {
    shouldRateLimit: (
      call: grpc.ServerUnaryCall<RateLimitRequest, RateLimitResponse>,
      callback: grpc.sendUnaryData<RateLimitResponse>,
    ) => {
      service.shouldRateLimit(call.request, monotonicDeadline(call.getDeadline())).then(
        (response) => callback(null, response),
        (err: Error) => callback(refusal(err)),
      );
    },
  };
}

/** ShouldRateLimit and health Check as unary methods for the service's own listener. */
export function rateLimitUnaryMethods(service: RateLimitService, ready: () => boolean): UnaryMethod[] {
  const shouldRateLimit: UnaryMethod<RateLimitRequest, RateLimitResponse> = {
    path: `/${RateLimitServiceDesc.typeName}/ShouldRateLimit`,
    decode: (bytes) => fromBinary(RateLimitRequestSchema, bytes),
    encode: (response) => toBinary(RateLimitResponseSchema, response),
    handle: (request, deadlineMs) =>
      service.shouldRateLimit(request, deadlineMs).catch((err: Error) => {
        const { code, details } = refusal(err);
        throw new GrpcError(code, details);
      }),
  };
  const healthy = new Set(["", RateLimitServiceDesc.typeName]);
  const check: UnaryMethod = {
    path: `/${Health.typeName}/Check`,
    decode: (bytes) => fromBinary(HealthCheckRequestSchema, bytes),
    encode: (response) => toBinary(HealthCheckResponseSchema, response as ReturnType<typeof healthStatus>),
    handle: async (request) => {
      const service = (request as { service: string }).service;
      if (!healthy.has(service)) throw new GrpcError(GrpcStatus.notFound, `unknown service ${service}`);
      return healthStatus(ready());
    },
  };
  return [shouldRateLimit as UnaryMethod, check];
}

function healthStatus(ready: boolean) {
  const status = ready ? HealthCheckResponse_ServingStatus.SERVING : HealthCheckResponse_ServingStatus.NOT_SERVING;
  return create(HealthCheckResponseSchema, { status });
}
