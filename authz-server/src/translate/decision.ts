// The policy's result → a validated Decision, read field by field as opa-envoy-plugin reads it
// (envoyauth/response.go and the check in internal/internal.go). A boolean, or an object with a
// boolean `allowed` (missing or of another type: an error). Which other fields are read depends on
// the answer, and a field that is read must have its type, or the whole result is an error:
//   on allow and on deny   headers             object name → string | string[], or an array of
//                                              such objects (upstream request on allow, client
//                                              response on deny)
//                          dynamic_metadata    object
//   on allow only          request_headers_to_remove, query_parameters_to_remove   string[]
//                          response_headers_to_add   like headers (client response)
//                          query_parameters_to_set   object name → string | string[]
//   on deny only           body                string
//                          http_status         an integer that is both an HTTP status Go knows
//                                              and one Envoy's StatusCode enum has (default 403)
// A field that is not read is not checked: `{"allowed": true, "http_status": 999}` is an allow.
// Stricter than opa-envoy on one point: header names must be RFC 9110 tokens and values must not
// contain CR, LF, NUL or other control characters, so a policy echoing request data into a header
// cannot split or smuggle headers. A violation is a policy-result error (→ coded deny). Pure.
import type { JsonObject } from "@bufbuild/protobuf";
import { ErrorCodes, MeshwardError } from "../errors.ts";
import { StatusCode } from "../gen/envoy/type/v3/http_status_pb.ts";

export type HeaderPair = readonly [name: string, value: string];

export interface Decision {
  allowed: boolean;
  /** Deny status; opa-envoy's default 403 when absent. */
  httpStatus?: number;
  headers: HeaderPair[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderPair[];
  queryParametersToSet: HeaderPair[];
  queryParametersToRemove: string[];
  body?: string;
  dynamicMetadata?: JsonObject;
}

export function emptyDecision(allowed: boolean): Decision {
  return {
    allowed,
    headers: [],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    queryParametersToSet: [],
    queryParametersToRemove: [],
  };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values may hold visible ASCII, obs-text, SP and HTAB only: no CR, LF, NUL, DEL. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

function fail(message: string): never {
  throw new MeshwardError(ErrorCodes.policyResult, message);
}

export function checkHeaderName(name: string, field: string): string {
  if (!TOKEN.test(name)) fail(`policy result \`${field}\`: invalid header name ${JSON.stringify(name)}`);
  return name;
}

export function checkHeaderValue(value: string, name: string, field: string): string {
  if (hasControlCharacter(value)) {
    fail(`policy result \`${field}.${name}\`: header value contains CR, LF or a control character`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** name → string | string[] into pairs; `validate` checks each name and value. */
function pairsOf(value: unknown, field: string, validate: boolean, out: HeaderPair[]): void {
  if (!isObject(value)) fail(`policy result \`${field}\` must be an object`);
  for (const [name, v] of Object.entries(value)) {
    if (validate) checkHeaderName(name, field);
    const values = Array.isArray(v) ? v : [v];
    for (const item of values) {
      if (typeof item !== "string") fail(`policy result \`${field}.${name}\` must be a string or an array of strings`);
      out.push([name, validate ? checkHeaderValue(item, name, field) : item]);
    }
  }
}

function headerPairs(value: unknown, field: string): HeaderPair[] {
  const out: HeaderPair[] = [];
  if (Array.isArray(value)) for (const item of value) pairsOf(item, field, true, out);
  else pairsOf(value, field, true, out);
  return out;
}

function stringList(value: unknown, field: string, headerNames: boolean): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    fail(`policy result \`${field}\` must be an array of strings`);
  }
  if (headerNames) for (const name of value) checkHeaderName(name, field);
  return value as string[];
}

function httpStatusOf(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0 || StatusCode[value] === undefined) {
    fail(`policy result \`http_status\` must be an HTTP status code Envoy knows, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The fields read on both answers. */
function readCommonFields(result: Record<string, unknown>, decision: Decision): void {
  if (result.headers !== undefined) decision.headers = headerPairs(result.headers, "headers");
  if (result.dynamic_metadata !== undefined) {
    if (!isObject(result.dynamic_metadata)) fail("policy result `dynamic_metadata` must be an object");
    decision.dynamicMetadata = result.dynamic_metadata as JsonObject;
  }
}

function readAllowFields(result: Record<string, unknown>, decision: Decision): void {
  if (result.request_headers_to_remove !== undefined) {
    decision.requestHeadersToRemove = stringList(result.request_headers_to_remove, "request_headers_to_remove", true);
  }
  if (result.response_headers_to_add !== undefined) {
    decision.responseHeadersToAdd = headerPairs(result.response_headers_to_add, "response_headers_to_add");
  }
  if (result.query_parameters_to_remove !== undefined) {
    decision.queryParametersToRemove = stringList(
      result.query_parameters_to_remove,
      "query_parameters_to_remove",
      false,
    );
  }
  if (result.query_parameters_to_set !== undefined) {
    pairsOf(result.query_parameters_to_set, "query_parameters_to_set", false, decision.queryParametersToSet);
  }
}

function readDenyFields(result: Record<string, unknown>, decision: Decision): void {
  if (result.body !== undefined) {
    if (typeof result.body !== "string") fail("policy result `body` must be a string");
    decision.body = result.body;
  }
  if (result.http_status !== undefined) decision.httpStatus = httpStatusOf(result.http_status);
}

/** Interprets the policy's result, rejecting shapes that cannot be a decision. */
export function toDecision(result: unknown): Decision {
  if (typeof result === "boolean") return emptyDecision(result);
  if (!isObject(result)) {
    fail(
      `policy returned ${result === null ? "null" : Array.isArray(result) ? "an array" : `a ${typeof result}`}, expected boolean or object`,
    );
  }
  if (typeof result.allowed !== "boolean") fail("policy result object lacks a boolean `allowed`");
  const decision = emptyDecision(result.allowed);
  readCommonFields(result, decision);
  if (decision.allowed) readAllowFields(result, decision);
  else readDenyFields(result, decision);
  return decision;
}
