// CheckRequest → policy input, in the shape opa-envoy-plugin gives its policies, so that Rego
// written for it runs unchanged (its envoyauth/request.go `RequestToInput`):
//   attributes ...      the CheckRequest by protobuf JSON names, set fields only (proto-map.ts)
//   parsed_path         url-parse.ts; parsed_query likewise
//   parsed_body         body.ts; with `truncated_body`; both absent when body parsing is skipped
// Numbers a JS number cannot hold (a JSON body's big literals, an int64 above 2^53) are kept as raw
// JSON slots on the input (raw-json.ts): the evaluator hands the policy their exact digits.
//   version             {encoding: "protojson", ext_authz: "v3"}
//   source_principal    only when Envoy sent attributes.source.principal
// Meshward's additions go under `input.meshward` (see check/enricher.ts), added after this step.
// Pure: no I/O, no clock.
import { ErrorCodes, MeshwardError } from "../errors.ts";
import { type CheckRequest, CheckRequestSchema } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import { BodyParseError, parseBody } from "./body.ts";
import { protoMap } from "./proto-map.ts";
import { addRawJsonSlots, type RawJsonSlot } from "./raw-json.ts";
import { parsePath, parseQuery, UrlParseError } from "./url-parse.ts";

export type PolicyInput = Record<string, unknown>;

export interface TranslateOptions {
  /** Skip `parsed_body`/`truncated_body` (opa-envoy's `skip-request-body-parse`, opa#5081). */
  skipBodyParse?: boolean;
  /** Bodies longer than this are not parsed and reported as truncated. */
  maxBodyParseBytes?: number;
  /** JSON bodies nested deeper than this are a parse error (MW_REQUEST_PARSE). */
  maxBodyDepth?: number;
}

const VERSION = { encoding: "protojson", ext_authz: "v3" } as const;

export function toPolicyInput(request: CheckRequest, options: TranslateOptions = {}): PolicyInput {
  const http = request.attributes?.request?.http;
  const path = http?.path ?? "";
  const headers = http?.headers ?? {};
  try {
    const rawJson: RawJsonSlot[] = [];
    const input: PolicyInput = protoMap(CheckRequestSchema, request as unknown as Record<string, unknown>, rawJson);
    input.version = VERSION;
    input.parsed_path = parsePath(path);
    input.parsed_query = parseQuery(path);
    if (!options.skipBodyParse) {
      const parsed = parseBody(
        headers,
        http?.body ?? "",
        http?.rawBody ?? new Uint8Array(),
        options.maxBodyParseBytes,
        options.maxBodyDepth,
      );
      input.parsed_body = parsed.body;
      input.truncated_body = parsed.truncated;
      if (parsed.exactText !== undefined) rawJson.push({ holder: input, key: "parsed_body", text: parsed.exactText });
      if (parsed.rawJson) rawJson.push(...parsed.rawJson);
    }
    addRawJsonSlots(input, rawJson);
    const principal = request.attributes?.source?.principal;
    if (principal) input.source_principal = principal;
    return input;
  } catch (err) {
    if (err instanceof UrlParseError || err instanceof BodyParseError) {
      throw new MeshwardError(ErrorCodes.requestParse, err.message, { cause: err });
    }
    throw err;
  }
}
