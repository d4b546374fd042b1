// What Envoy does with an answer: the corpus compares outcomes, not bytes. Each equivalence applied
// here is a rule in test/compat/allowlist.json (with its reason and the line that documents it):
//   no-http-response    a CheckResponse without ok/denied response is an allow that changes
//                       nothing, or a deny with Envoy's defaults (403, no headers, empty body);
//   error-as-coded-deny opa-envoy fails the gRPC call where Meshward denies with check.errorStatus
//                       and `x-meshward-reason` (Envoy answers status_on_error, 403 by default);
//   parse-error-body    a request that cannot be parsed: both deny 400; the body and metadata say
//                       why, each in its own words;
//   reserved-headers    Meshward removes its own identity/risk headers on every allow;
//   removal-order       headers and query parameters to remove are sets to Envoy;
//   status-message      CheckResponse.status.message is not used by Envoy.
import type { JsonObject } from "@bufbuild/protobuf";
import { DownstreamHeaders, RESERVED_HEADERS } from "../../authz-server/src/contract/headers.ts";
import type { Answer, HeaderEntry } from "./answer.ts";

/** The equivalences below, by the id allowlist.json documents them under. */
export const EQUIVALENCE_RULES = [
  "no-http-response",
  "error-as-coded-deny",
  "parse-error-body",
  "reserved-headers",
  "removal-order",
  "status-message",
] as const;

export type Outcome =
  | {
      kind: "allow";
      headers: HeaderEntry[];
      headersToRemove: string[];
      responseHeadersToAdd: HeaderEntry[];
      queryParametersToSet: [string, string][];
      queryParametersToRemove: string[];
      metadata: JsonObject;
    }
  | { kind: "deny"; status: number; headers: HeaderEntry[]; body: string; metadata: JsonObject }
  | { kind: "error" }
  | { kind: "parse-error"; status: number };

const FORBIDDEN = 403;
const REASON_HEADER = DownstreamHeaders.reason;
/** The reserved `x-meshward-` family (docs/headers.md): removed from every allowed request. */
const RESERVED = new Set(RESERVED_HEADERS);

function allowOf(answer: Answer, reserved: ReadonlySet<string>): Outcome {
  const ok = answer.ok;
  return {
    kind: "allow",
    headers: ok?.headers ?? [],
    headersToRemove: [...(ok?.headersToRemove ?? [])].filter((h) => !reserved.has(h)).sort(),
    responseHeadersToAdd: ok?.responseHeadersToAdd ?? [],
    queryParametersToSet: ok?.queryParametersToSet ?? [],
    queryParametersToRemove: [...(ok?.queryParametersToRemove ?? [])].sort(),
    metadata: answer.metadata ?? {},
  };
}

function denyOf(answer: Answer, status: number): Outcome {
  return {
    kind: "deny",
    status,
    headers: answer.denied?.headers ?? [],
    body: answer.denied?.body ?? "",
    metadata: answer.metadata ?? {},
  };
}

export function peerOutcome(answer: Answer): Outcome {
  if (answer.grpcError !== undefined) return { kind: "error" };
  if (answer.code === 0) return allowOf(answer, new Set());
  const status = answer.denied?.status ?? FORBIDDEN;
  if (answer.denied?.body.startsWith("request_parse_error:")) return { kind: "parse-error", status };
  return denyOf(answer, status);
}

export function meshwardOutcome(answer: Answer, errorStatus: number): Outcome {
  if (answer.grpcError !== undefined) return { kind: "error" };
  if (answer.code === 0) return allowOf(answer, RESERVED);
  const status = answer.denied?.status ?? FORBIDDEN;
  const reason = answer.denied?.headers.find(([name]) => name === REASON_HEADER)?.[1];
  if (reason === "MW_REQUEST_PARSE") return { kind: "parse-error", status };
  if (reason !== undefined && status === errorStatus && answer.metadata?.reason === reason) return { kind: "error" };
  return denyOf(answer, status);
}
