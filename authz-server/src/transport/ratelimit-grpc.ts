// envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit as gRPC methods of the node:http2
// server (h2-grpc-server.ts): added to the authz listener, or served on the service's own listener
// with grpc.health.v1 Check beside it. Refusals of the service become gRPC errors whose message
// starts with the MW_RL_* code: a malformed or oversized request → INVALID_ARGUMENT, an unknown
// domain → NOT_FOUND, anything else → INTERNAL. Envoy's ratelimit filter treats every error alike
// and applies its `failure_mode_deny`.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
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
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
} from "../gen/grpc/health/v1/health_pb.ts";
import type { RateLimitService } from "../ratelimit/ratelimit-service.ts";
import { healthStatus } from "./grpc-server.ts";
import { GrpcError, GrpcStatus } from "./grpc-wire.ts";
import type { GrpcMethod } from "./h2-grpc-server.ts";

/** The service name, for gRPC health. */
export const RATE_LIMIT_SERVICE = RateLimitServiceDesc.typeName;

const STATUS_OF: Record<string, number> = {
  [ErrorCodes.rateLimitBadRequest]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCodes.rateLimitUnknownDomain]: GrpcStatus.NOT_FOUND,
};

/** ShouldRateLimit, by path. */
export function rateLimitMethods(service: RateLimitService): Record<string, GrpcMethod> {
  return {
    [`/${RATE_LIMIT_SERVICE}/ShouldRateLimit`]: {
      kind: "unary",
      decode: (bytes: Uint8Array) => fromBinary(RateLimitRequestSchema, bytes),
      encode: (response: RateLimitResponse) => toBinary(RateLimitResponseSchema, response),
      handle: (request: RateLimitRequest, call: { deadlineMs: number | undefined }) =>
        service.shouldRateLimit(request, call.deadlineMs).catch((err: Error) => {
          const code = errorCodeOf(err);
          throw new GrpcError(STATUS_OF[code] ?? GrpcStatus.INTERNAL, `${code}: ${err.message}`);
        }),
    },
  };
}

/** ShouldRateLimit and health Check (for "" and the service) on the service's own listener. */
export function ownListenerMethods(service: RateLimitService, ready: () => boolean): Record<string, GrpcMethod> {
  const healthy = new Set(["", RATE_LIMIT_SERVICE]);
  return {
    ...rateLimitMethods(service),
    [`/${Health.typeName}/Check`]: {
      kind: "unary",
      decode: (bytes: Uint8Array) => fromBinary(HealthCheckRequestSchema, bytes),
      encode: (response: ReturnType<typeof healthStatus>) => toBinary(HealthCheckResponseSchema, response),
      handle: (request: HealthCheckRequest) => {
        if (!healthy.has(request.service))
          throw new GrpcError(GrpcStatus.NOT_FOUND, `unknown service ${request.service}`);
        return healthStatus(ready());
      },
    },
  };
}
