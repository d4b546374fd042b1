// A gRPC client of envoy.service.ratelimit.v3.RateLimitService for tests and the benchmark: the
// same messages Envoy's ratelimit filter sends, over one HTTP/2 connection.
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { RateLimitDescriptorSchema } from "../../authz-server/src/gen/envoy/extensions/common/ratelimit/v3/ratelimit_pb.ts";
import {
  type RateLimitRequest,
  RateLimitRequestSchema,
  type RateLimitResponse,
  RateLimitService,
} from "../../authz-server/src/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import { toGrpcServiceDefinition } from "../../authz-server/src/transport/grpc-adapter.ts";

export interface RlsClient {
  call(request: RateLimitRequest, timeoutMs?: number): Promise<RateLimitResponse>;
  close(): void;
}

/** `rlsRequest("mesh", [["subject", "alice"]], [["generic_key", "global"]])`. */
export function rlsRequest(domain: string, ...descriptors: [string, string][][]): RateLimitRequest {
  return create(RateLimitRequestSchema, {
    domain,
    descriptors: descriptors.map((entries) =>
      create(RateLimitDescriptorSchema, { entries: entries.map(([key, value]) => ({ key, value })) }),
    ),
  });
}

const RlsStub = grpc.makeClientConstructor(toGrpcServiceDefinition(RateLimitService), "RateLimitService");

export function rlsClient(address: string): RlsClient {
  const stub = new RlsStub(address, grpc.credentials.createInsecure(), {
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  }) as unknown as grpc.Client & {
    shouldRateLimit(
      request: RateLimitRequest,
      options: grpc.CallOptions,
      callback: (err: grpc.ServiceError | null, response?: RateLimitResponse) => void,
    ): void;
  };
  return {
    call: (request, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        stub.shouldRateLimit(request, { deadline: Date.now() + timeoutMs }, (err, response) =>
          err ? reject(err) : resolve(response as RateLimitResponse),
        );
      }),
    close: () => stub.close(),
  };
}
