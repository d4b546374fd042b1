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
// A check parses the request once (`translateRequest`: path, query and body, where a malformed
// request fails) and then writes the input's JSON straight into the policy's memory
// (`TranslatedRequest.write`, byte for byte what JSON.stringify of the object gives); the object
// itself is built only when something reads it (an enricher, a decision log, the live page).
// Pure: no I/O, no clock.
import { ErrorCodes, MeshwardError } from "../errors.ts";
import { type CheckRequest, CheckRequestSchema } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import { BodyParseError, type ParsedBody, parseBody } from "./body.ts";
import type { InputProjection } from "./input-projection.ts";
import { type JsonWriter, rawTextsOf } from "./json-writer.ts";
import { writeMessageFields } from "./message-json.ts";
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
  /** Write only the parts of the input the policy's Rego reads (policy/input-paths.ts); on unless
   *  false. The object that decision logs and enrichers read is always the whole input. */
  inputProjection?: boolean;
}

const VERSION = { encoding: "protojson", ext_authz: "v3" } as const;
const VERSION_JSON = JSON.stringify(VERSION);

/** One CheckRequest as policy input: parsed once, then written as JSON or built as an object. */
export class TranslatedRequest {
  /** `input.meshward` once the enrichers run (enrich.ts); absent without enrichers. */
  meshward: Record<string, unknown> | undefined;
  private built: PolicyInput | undefined;

  constructor(
    readonly request: CheckRequest,
    private readonly parsedPath: string[],
    private readonly parsedQuery: Record<string, string[]>,
    private readonly body: ParsedBody | undefined,
  ) {}

  /** The input object (the same for every read), with `meshward` when the enrichers added it. */
  get object(): PolicyInput {
    if (this.built) return this.built;
    const rawJson: RawJsonSlot[] = [];
    const input: PolicyInput = protoMap(
      CheckRequestSchema,
      this.request as unknown as Record<string, unknown>,
      rawJson,
    );
    input.version = VERSION;
    input.parsed_path = this.parsedPath;
    input.parsed_query = this.parsedQuery;
    const body = this.body;
    if (body) {
      input.parsed_body = body.body;
      input.truncated_body = body.truncated;
      if (body.exactText !== undefined) rawJson.push({ holder: input, key: "parsed_body", text: body.exactText });
      if (body.rawJson) rawJson.push(...body.rawJson);
    }
    addRawJsonSlots(input, rawJson);
    const principal = this.request.attributes?.source?.principal;
    if (principal) input.source_principal = principal;
    if (this.meshward !== undefined) input.meshward = this.meshward;
    this.built = input;
    return input;
  }

  /** Writes the JSON of `object` (its raw slots' digits in place) without building it; with
   *  `keep`, only the parts it names (below the CheckRequest's messages and string maps, the other
   *  members are written whole when named). */
  write(w: JsonWriter, keep?: InputProjection): void {
    w.byte(123);
    const request = this.request as unknown as Record<string, unknown>;
    let none = writeMessageFields(w, CheckRequestSchema, request, true, keep);
    if (wanted(keep, "version")) {
      w.property("version", none);
      w.ascii(VERSION_JSON);
      none = false;
    }
    if (wanted(keep, "parsed_path") && w.member("parsed_path", this.parsedPath, none)) none = false;
    if (wanted(keep, "parsed_query") && w.member("parsed_query", this.parsedQuery, none)) none = false;
    const body = this.body;
    if (body && wanted(keep, "parsed_body")) {
      if (body.exactText !== undefined) {
        w.property("parsed_body", none);
        w.raw(body.exactText);
        none = false;
      } else if (w.member("parsed_body", body.body, none, rawTextsOf(body.rawJson ?? []))) {
        none = false;
      }
    }
    if (body && wanted(keep, "truncated_body") && w.member("truncated_body", body.truncated, none)) none = false;
    const principal = this.request.attributes?.source?.principal;
    if (principal && wanted(keep, "source_principal") && w.member("source_principal", principal, none)) none = false;
    if (this.meshward !== undefined && wanted(keep, "meshward")) w.member("meshward", this.meshward, none);
    w.byte(125);
  }
}

/** Whether the input member `name` is written (a module function: a named closure per check costs
 *  a defineProperty under the TypeScript loader, which keeps function names). */
function wanted(keep: InputProjection | undefined, name: string): boolean {
  return keep === undefined || keep.has(name);
}

/** Parses what the input needs from `request`; a malformed path, query or body fails here. */
export function translateRequest(request: CheckRequest, options: TranslateOptions = {}): TranslatedRequest {
  const http = request.attributes?.request?.http;
  const path = http?.path ?? "";
  const headers = http?.headers ?? {};
  try {
    const parsedPath = parsePath(path);
    const parsedQuery = parseQuery(path);
    const body = options.skipBodyParse
      ? undefined
      : parseBody(
          headers,
          http?.body ?? "",
          http?.rawBody ?? new Uint8Array(),
          options.maxBodyParseBytes,
          options.maxBodyDepth,
        );
    return new TranslatedRequest(request, parsedPath, parsedQuery, body);
  } catch (err) {
    if (err instanceof UrlParseError || err instanceof BodyParseError) {
      throw new MeshwardError(ErrorCodes.requestParse, err.message, { cause: err });
    }
    throw err;
  }
}

export function toPolicyInput(request: CheckRequest, options: TranslateOptions = {}): PolicyInput {
  return translateRequest(request, options).object;
}
