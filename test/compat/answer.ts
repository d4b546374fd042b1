// One server's answer to a Check, as recorded in the corpus fixture: the CheckResponse field by
// field (or the gRPC error when the call itself failed), with what differs between two runs of the
// same server taken out: the decision id's value, and the order of headers with different names
// (opa-envoy builds them from Go maps, whose iteration order is random).
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import type { HeaderValueOption } from "../../authz-server/src/gen/envoy/config/core/v3/base_pb.ts";
import type { CheckResponse } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";

/** [name, value], plus the HeaderValueOption's other settings when any is set. */
export type HeaderEntry = [string, string] | [string, string, JsonObject];

export interface Answer {
  /** The Check call failed with this gRPC status (no CheckResponse). */
  grpcError?: string;
  /** CheckResponse.status.code (0 OK, 7 PERMISSION_DENIED). */
  code?: number;
  message?: string;
  ok?: {
    headers: HeaderEntry[];
    headersToRemove: string[];
    responseHeadersToAdd: HeaderEntry[];
    queryParametersToSet: [string, string][];
    queryParametersToRemove: string[];
  };
  denied?: { status?: number; headers: HeaderEntry[]; body: string };
  /** Dynamic metadata without `decision_id`. */
  metadata?: JsonObject;
  /** Whether `decision_id` was in the dynamic metadata. */
  decisionId?: boolean;
}

/** Stable sort by name: values of one name keep their order. */
function byName<T extends [string, ...unknown[]]>(entries: T[]): T[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (a.entry[0] < b.entry[0] ? -1 : a.entry[0] > b.entry[0] ? 1 : a.index - b.index))
    .map(({ entry }) => entry);
}

function headerEntries(options: readonly HeaderValueOption[]): HeaderEntry[] {
  return byName(
    options.map((option): HeaderEntry => {
      const extra: JsonObject = {};
      if (option.append !== undefined) extra.append = option.append;
      if (option.appendAction !== 0) extra.appendAction = option.appendAction;
      if (option.keepEmptyValue) extra.keepEmptyValue = true;
      if (option.header?.rawValue?.length) extra.rawValue = Buffer.from(option.header.rawValue).toString("base64");
      const pair: [string, string] = [option.header?.key ?? "", option.header?.value ?? ""];
      return Object.keys(extra).length > 0 ? [...pair, extra] : pair;
    }),
  );
}

export function answerOf(response: CheckResponse): Answer {
  const answer: Answer = { code: response.status?.code ?? 0 };
  if (response.status?.message) answer.message = response.status.message;
  const http = response.httpResponse;
  if (http.case === "okResponse") {
    const ok = http.value;
    answer.ok = {
      headers: headerEntries(ok.headers),
      headersToRemove: [...ok.headersToRemove],
      responseHeadersToAdd: headerEntries(ok.responseHeadersToAdd),
      queryParametersToSet: byName(ok.queryParametersToSet.map((q): [string, string] => [q.key, q.value])),
      queryParametersToRemove: [...ok.queryParametersToRemove],
    };
  } else if (http.case === "deniedResponse") {
    const denied = http.value;
    answer.denied = {
      ...(denied.status ? { status: denied.status.code } : {}),
      headers: headerEntries(denied.headers),
      body: denied.body,
    };
  }
  if (response.dynamicMetadata) {
    const { decision_id, ...rest } = response.dynamicMetadata as Record<string, JsonValue>;
    answer.decisionId = decision_id !== undefined;
    if (Object.keys(rest).length > 0) answer.metadata = rest;
  }
  return answer;
}

export function answerOfError(error: ServiceError): Answer {
  return { grpcError: GrpcStatus[error.code] ?? String(error.code) };
}
