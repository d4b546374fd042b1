// Envoy's HTTP ext_authz mode (`http_service`, Istio `envoyExtAuthzHttp`): Envoy replays the
// client's method, path (after `path_prefix`), allowed headers and, with `with_request_body`, the
// body to us; we answer 200 to allow or any other status to deny. This module is the pure mapping
// between that exchange and the gRPC types CheckService speaks, so both modes decide identically.
//   allow → 200; decision headers and response headers to add are sent by name (Envoy forwards
//           those matching `allowed_upstream_headers` upstream and those matching
//           `allowed_client_headers_on_success` to the client); headers to remove go in
//           `x-envoy-auth-headers-to-remove`, which Envoy honours in HTTP mode.
//   deny  → the decision's status (403 by default), headers and body.
// Query-parameter mutation has no HTTP-mode equivalent in Envoy and is not sent.
import { create } from "@bufbuild/protobuf";
import { UpstreamHeaders } from "../contract/headers.ts";
import {
  type CheckRequest,
  CheckRequestSchema,
  type CheckResponse,
} from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import { xfccPeerUri } from "./xfcc.ts";

export interface HttpCheckRequest {
  method: string;
  /** Request path as received, including `checkPathPrefix` and the query. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: Buffer;
  protocol: string;
}

export interface HttpCheckReply {
  status: number;
  headers: [string, string][];
  body: string;
}

/** The header Envoy reads, in HTTP mode, for request headers to strip before the upstream. */
export const HEADERS_TO_REMOVE = "x-envoy-auth-headers-to-remove";
export const DECISION_ID_HEADER = UpstreamHeaders.decisionId;

export interface HttpCheckMapping {
  checkPathPrefix: string;
  /** Request header whose value becomes context_extensions[entrypointContextKey]. */
  entrypointHeader?: string;
  entrypointContextKey: string;
  /** Take `source.principal` from Envoy's x-forwarded-client-cert (only safe when Envoy sanitises it). */
  principalFromXfcc?: boolean;
}

export function toCheckRequest(request: HttpCheckRequest, mapping: HttpCheckMapping): CheckRequest {
  const { checkPathPrefix } = mapping;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  let path = request.url.startsWith(checkPathPrefix) ? request.url.slice(checkPathPrefix.length) : request.url;
  if (!path.startsWith("/")) path = `/${path}`;
  const q = path.indexOf("?");
  const body = request.body && request.body.length > 0 ? request.body : undefined;
  const contextExtensions: Record<string, string> = {};
  const named = mapping.entrypointHeader ? headers[mapping.entrypointHeader] : undefined;
  // Envoy's formatter writes "-" or "" when the route has no such metadata: use the default then.
  if (named && named !== "-") contextExtensions[mapping.entrypointContextKey] = named;
  const principal =
    mapping.principalFromXfcc && headers["x-forwarded-client-cert"]
      ? xfccPeerUri(headers["x-forwarded-client-cert"])
      : undefined;
  return create(CheckRequestSchema, {
    attributes: {
      ...(principal ? { source: { principal } } : {}),
      contextExtensions,
      request: {
        http: {
          method: request.method,
          path,
          host: headers.host ?? headers[":authority"] ?? "",
          headers,
          query: q === -1 ? "" : path.slice(q + 1),
          protocol: request.protocol,
          size: body ? BigInt(body.length) : 0n,
          body: body ? body.toString("utf8") : "",
        },
      },
    },
  });
}

export function toHttpReply(response: CheckResponse, decisionId: string): HttpCheckReply {
  const reply: HttpCheckReply = { status: 200, headers: [[DECISION_ID_HEADER, decisionId]], body: "" };
  if (response.httpResponse.case === "okResponse") {
    const ok = response.httpResponse.value;
    for (const option of [...ok.headers, ...ok.responseHeadersToAdd]) {
      if (option.header) reply.headers.push([option.header.key, option.header.value]);
    }
    if (ok.headersToRemove.length > 0) reply.headers.push([HEADERS_TO_REMOVE, ok.headersToRemove.join(",")]);
    return reply;
  }
  reply.status = 403;
  if (response.httpResponse.case === "deniedResponse") {
    const denied = response.httpResponse.value;
    reply.status = denied.status?.code || 403;
    for (const option of denied.headers)
      if (option.header) reply.headers.push([option.header.key, option.header.value]);
    reply.body = denied.body;
  }
  return reply;
}
