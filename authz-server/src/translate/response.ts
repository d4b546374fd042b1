// Decision → CheckResponse (ext_authz v3), as opa-envoy-plugin builds it: allow → status OK with an
// OkHttpResponse (headers to add/override upstream, headers to remove, response headers, query
// parameter edits); deny → PERMISSION_DENIED with a DeniedHttpResponse (status, headers, body).
// `decision_id` is always in the dynamic metadata (Envoy emits it under the
// `envoy.filters.http.ext_authz` namespace). Pure: the decision id is passed in.
import { create, type JsonObject } from "@bufbuild/protobuf";
import { DownstreamHeaders } from "../contract/headers.ts";
import { HeaderValueOptionSchema, QueryParameterSchema } from "../gen/envoy/config/core/v3/base_pb.ts";
import {
  type CheckResponse,
  CheckResponseSchema,
  DeniedHttpResponseSchema,
  OkHttpResponseSchema,
} from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import { type Decision, emptyDecision, type HeaderPair } from "./decision.ts";

/** gRPC status codes used in CheckResponse.status (google.rpc.Code). */
const GRPC_OK = 0;
const GRPC_PERMISSION_DENIED = 7;

/** Envoy's default for `append` here is false: a header the decision names replaces the client's. */
function headerOptions(headers: readonly HeaderPair[]) {
  return headers.map(([key, value]) => create(HeaderValueOptionSchema, { header: { key, value } }));
}

export function toCheckResponse(decision: Decision, decisionId: string): CheckResponse {
  const dynamicMetadata: JsonObject = { ...decision.dynamicMetadata, decision_id: decisionId };
  if (decision.allowed) {
    return create(CheckResponseSchema, {
      status: { code: GRPC_OK },
      httpResponse: {
        case: "okResponse",
        value: create(OkHttpResponseSchema, {
          headers: headerOptions(decision.headers),
          headersToRemove: decision.requestHeadersToRemove,
          responseHeadersToAdd: headerOptions(decision.responseHeadersToAdd),
          queryParametersToSet: decision.queryParametersToSet.map(([key, value]) =>
            create(QueryParameterSchema, { key, value }),
          ),
          queryParametersToRemove: decision.queryParametersToRemove,
        }),
      },
      dynamicMetadata,
    });
  }
  return create(CheckResponseSchema, {
    status: { code: GRPC_PERMISSION_DENIED },
    httpResponse: {
      case: "deniedResponse",
      value: create(DeniedHttpResponseSchema, {
        status: { code: decision.httpStatus ?? 403 },
        headers: headerOptions(decision.headers),
        body: decision.body ?? "",
      }),
    },
    dynamicMetadata,
  });
}

/** The header that carries the coded reason of a deny Meshward itself produced. */
export const REASON_HEADER = DownstreamHeaders.reason;

/** The deny sent when the check itself failed: fail closed, with the coded reason in a header and
 *  in the dynamic metadata. */
export function errorDecision(code: string, httpStatus: number): Decision {
  return {
    ...emptyDecision(false),
    httpStatus,
    headers: [[REASON_HEADER, code]],
    body: `${code}\n`,
    dynamicMetadata: { reason: code },
  };
}
