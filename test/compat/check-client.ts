// A plain Authorization/Check client for the corpus: the same bytes go to opa-envoy-plugin (when
// recording) and to Meshward (when replaying), and either answer becomes an Answer.
import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  Authorization,
  type CheckRequest,
  CheckRequestSchema,
  type CheckResponse,
} from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { toGrpcServiceDefinition } from "../../authz-server/src/transport/grpc-adapter.ts";
import { type Answer, answerOf, answerOfError } from "./answer.ts";

type CheckMethod = (
  request: CheckRequest,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: CheckResponse) => void,
) => void;

export interface CheckClient {
  check(request: JsonObject): Promise<Answer>;
  close(): void;
}

const AuthorizationClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(Authorization), "Authorization");

export function checkClient(address: string, timeoutMs = 10_000): CheckClient {
  const client = new AuthorizationClient(address, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 << 20,
    "grpc.max_send_message_length": 64 << 20,
  }) as unknown as grpc.Client & { check: CheckMethod };
  return {
    check: (json) =>
      new Promise((resolve, reject) => {
        const request = fromJson(CheckRequestSchema, json);
        client.check(request, { deadline: Date.now() + timeoutMs }, (error, response) => {
          if (error) {
            if (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED) reject(error);
            else resolve(answerOfError(error));
          } else resolve(answerOf(response as CheckResponse));
        });
      }),
    close: () => client.close(),
  };
}
