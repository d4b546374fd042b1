// Policy decision → CheckResponse. A decision is what the Rego entrypoint returned: a boolean, or an
// object in opa-envoy-plugin's result shape (`allowed`, `headers`, `body`, `http_status`, ...).
// Pure: no I/O, no clock; the decision id is passed in.

import type { JsonObject } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { ErrorCodes, MeshwardError } from "../errors.ts";
import { HeaderValueOptionSchema } from "../gen/envoy/config/core/v3/base_pb.ts";
import {
  type CheckResponse,
  CheckResponseSchema,
  DeniedHttpResponseSchema,
  OkHttpResponseSchema,
} from "../gen/envoy/service/auth/v3/external_auth_pb.ts";

/** gRPC status codes used in CheckResponse.status (google.rpc.Code). */
const GRPC_OK = 0;
const GRPC_PERMISSION_DENIED = 7;

export interface Decision {
  allowed: boolean;
  httpStatus?: number;
  headers: Record<string, string>;
  body?: string;
  /** Extra dynamic metadata the policy asked for; `decision_id` is always added. */
  dynamicMetadata: JsonObject;
}

/** Interprets the policy's result, rejecting shapes that cannot be a decision. */
export function toDecision(result: unknown): Decision {
  if (typeof result === "boolean") return { allowed: result, headers: {}, dynamicMetadata: {} };
  if (result === null || typeof result !== "object" || Array.isArray(result)) {
    throw new MeshwardError(ErrorCodes.policyResult, `policy returned ${describe(result)}, expected boolean or object`);
  }
  const r = result as Record<string, unknown>;
  if (typeof r.allowed !== "boolean") {
    throw new MeshwardError(ErrorCodes.policyResult, "policy result object lacks a boolean `allowed`");
  }
  const decision: Decision = { allowed: r.allowed, headers: {}, dynamicMetadata: {} };
  if (r.http_status !== undefined) {
    if (
      typeof r.http_status !== "number" ||
      !Number.isInteger(r.http_status) ||
      r.http_status < 100 ||
      r.http_status > 599
    ) {
      throw new MeshwardError(ErrorCodes.policyResult, "policy result `http_status` must be an integer 100..599");
    }
    decision.httpStatus = r.http_status;
  }
  if (r.headers !== undefined) decision.headers = stringMap(r.headers, "headers");
  if (r.body !== undefined) {
    if (typeof r.body !== "string")
      throw new MeshwardError(ErrorCodes.policyResult, "policy result `body` must be a string");
    decision.body = r.body;
  }
  if (r.dynamic_metadata !== undefined) {
    if (r.dynamic_metadata === null || typeof r.dynamic_metadata !== "object" || Array.isArray(r.dynamic_metadata)) {
      throw new MeshwardError(ErrorCodes.policyResult, "policy result `dynamic_metadata` must be an object");
    }
    decision.dynamicMetadata = r.dynamic_metadata as JsonObject;
  }
  return decision;
}

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new MeshwardError(ErrorCodes.policyResult, `policy result \`${field}\` must be an object of strings`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string")
      throw new MeshwardError(ErrorCodes.policyResult, `policy result \`${field}.${k}\` must be a string`);
    out[k] = v;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

function headerOptions(headers: Record<string, string>) {
  return Object.entries(headers).map(([key, value]) => create(HeaderValueOptionSchema, { header: { key, value } }));
}

export function toCheckResponse(decision: Decision, decisionId: string): CheckResponse {
  const dynamicMetadata: JsonObject = { ...decision.dynamicMetadata, decision_id: decisionId };
  if (decision.allowed) {
    return create(CheckResponseSchema, {
      status: { code: GRPC_OK },
      httpResponse: {
        case: "okResponse",
        value: create(OkHttpResponseSchema, { headers: headerOptions(decision.headers) }),
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

/** The deny sent when the check itself failed: fail closed, with the coded reason in a header. */
export function errorResponse(code: string, httpStatus: number, decisionId: string): CheckResponse {
  return toCheckResponse(
    { allowed: false, httpStatus, headers: { "x-meshward-reason": code }, dynamicMetadata: { reason: code } },
    decisionId,
  );
}
