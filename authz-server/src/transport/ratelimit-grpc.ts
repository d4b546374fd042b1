// gRPC handler of envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit. Refusals of the
// service become gRPC errors whose details start with the MW_RL_* code: a malformed or oversized
// request → INVALID_ARGUMENT, an unknown domain → NOT_FOUND, anything else → INTERNAL. Envoy's
// ratelimit filter treats every error alike and applies its `failure_mode_deny`.
import * as grpc from "@grpc/grpc-js";
import { ErrorCodes, errorCodeOf } from "../errors.ts";
import type { RateLimitRequest, RateLimitResponse } from "../gen/envoy/service/ratelimit/v3/rls_pb.ts";
import type { RateLimitService } from "../ratelimit/ratelimit-service.ts";
import { monotonicDeadline } from "./grpc-server.ts";

const STATUS_OF: Record<string, grpc.status> = {
  [ErrorCodes.rateLimitBadRequest]: grpc.status.INVALID_ARGUMENT,
  [ErrorCodes.rateLimitUnknownDomain]: grpc.status.NOT_FOUND,
};

export function rateLimitHandlers(service: RateLimitService): grpc.UntypedServiceImplementation {
  return {
    shouldRateLimit: (
      call: grpc.ServerUnaryCall<RateLimitRequest, RateLimitResponse>,
      callback: grpc.sendUnaryData<RateLimitResponse>,
    ) => {
      service.shouldRateLimit(call.request, monotonicDeadline(call.getDeadline())).then(
        (response) => callback(null, response),
        (err: Error) => {
          const code = errorCodeOf(err);
          callback({ code: STATUS_OF[code] ?? grpc.status.INTERNAL, details: `${code}: ${err.message}` });
        },
      );
    },
  };
}
