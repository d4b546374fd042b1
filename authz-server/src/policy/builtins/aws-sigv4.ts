// providers.aws.sign_req (topdown/providers.go, internal/providers/aws/signing_v4.go): signs an
// http.send-style request object with AWS Signature Version 4 and returns it with the signed
// headers. As OPA computes it (which is what AWS then checks, so the same request must give the
// same signature here):
//   canonical request = method \n EscapedPath \n raw query as written \n
//                       sorted lower-cased "name:value" lines \n \n signed names joined by ";" \n
//                       payload hash (hex SHA-256 of the body, or UNSIGNED-PAYLOAD)
//   string to sign    = "AWS4-HMAC-SHA256" \n yyyymmddThhmmssZ \n date/region/service/aws4_request \n
//                       hex SHA-256 of the canonical request
//   signing key       = HMAC chain "AWS4"+secret → date → region → service → "aws4_request"
// Signed headers: host, x-amz-date, x-amz-content-sha256 (s3 and glacier only),
// x-amz-security-token (with a session token) and the request's own headers except
// authorization, user-agent and x-amzn-trace-id; a request header overrides an AWS one of the same
// lower-cased name. The query is not re-sorted or re-encoded (OPA signs it as written).
import { createHash, createHmac } from "node:crypto";
import { isPlainObject, RegoObject, type RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { goJson } from "./go-json.ts";
import { GoUrlError, parseGoUrl } from "./go-url.ts";
import { fail, obj } from "./operands.ts";

const NAME = "providers.aws.sign_req";
const REQUIRED_CONFIG = ["aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"];
/** The request members http.send accepts (OPA checks the request against this list). */
const REQUEST_KEYS = new Set(
  (
    "method url body enable_redirect force_json_decode force_yaml_decode headers raw_body tls_use_system_certs " +
    "tls_ca_cert tls_ca_cert_file tls_ca_cert_env_variable tls_client_cert tls_client_cert_file " +
    "tls_client_cert_env_variable tls_client_key tls_client_key_file tls_client_key_env_variable " +
    "tls_insecure_skip_verify tls_server_name timeout cache force_cache force_cache_duration_seconds raise_error " +
    "caching_mode max_retry_attempts cache_ignored_headers"
  ).split(" "),
);
const UNSIGNED_HEADERS = new Set(["authorization", "user-agent", "x-amzn-trace-id"]);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const stringOr = (value: RegoValue | undefined): string => (typeof value === "string" ? value : "");
const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** The headers object as [name, value] pairs; names and values that are not strings become "". */
function headerPairs(value: RegoValue | undefined): [string, string][] {
  if (value === undefined) return [];
  if (value instanceof RegoObject) return value.entries.map(([k, v]) => [stringOr(k), stringOr(v)]);
  if (!isPlainObject(value)) return fail(`${NAME}: operand 1 headers must be an object`);
  return Object.keys(value).map((k) => [k, stringOr(value[k])]);
}

function checkConfig(config: { [key: string]: RegoValue }): void {
  const missing = REQUIRED_CONFIG.filter((k) => !Object.hasOwn(config, k));
  if (missing.length > 0) fail(`${NAME}: missing required AWS config parameters(s): ${missing.join(", ")}`);
  const invalid = REQUIRED_CONFIG.filter((k) => typeof config[k] !== "string");
  if (invalid.length > 0) fail(`${NAME}: invalid values for required AWS config parameters(s): ${invalid.join(", ")}`);
}

function checkRequest(request: { [key: string]: RegoValue }): void {
  const unknown = Object.keys(request).filter((k) => !REQUEST_KEYS.has(k));
  if (unknown.length > 0) fail(`${NAME}: invalid request parameters(s): ${unknown.join(", ")}`);
  const missing = ["method", "url"].filter((k) => !Object.hasOwn(request, k));
  if (missing.length > 0) fail(`${NAME}: missing required request parameters(s): ${missing.join(", ")}`);
}

function signingTime(value: RegoValue | undefined): Date {
  let ns: bigint;
  if (typeof value === "bigint") ns = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) ns = BigInt(value);
  else if (typeof value === "number") return fail(`${NAME}: could not convert time_ns value into a unix timestamp`);
  else return fail(`${NAME}: operand 3 must be a number`);
  if (ns < INT64_MIN || ns > INT64_MAX) fail(`${NAME}: could not convert time_ns value into a unix timestamp`);
  const floorSeconds = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  return new Date(Number(floorSeconds) * 1000);
}

const two = (n: number) => String(n).padStart(2, "0");

export function signRequest(
  request: RegoValue | undefined,
  config: RegoValue | undefined,
  time: RegoValue | undefined,
): RegoValue {
  const req = obj(request, NAME);
  const aws = obj(config, NAME);
  checkConfig(aws);
  const when = signingTime(time);
  checkRequest(req);
  const headers = headerPairs(req.headers);
  const invalid = ["url", "method"].filter((k) => typeof req[k] !== "string");
  if (invalid.length > 0) fail(`${NAME}: invalid values for required request parameters(s): ${invalid.join(", ")}`);
  let url: ReturnType<typeof parseGoUrl>;
  try {
    url = parseGoUrl(req.url as string);
  } catch (err) {
    return fail(err instanceof GoUrlError ? `${NAME}: ${err.message}` : String(err));
  }
  const body = Object.hasOwn(req, "raw_body")
    ? stringOr(req.raw_body)
    : Object.hasOwn(req, "body")
      ? goJson(req.body as RegoValue)
      : "";
  const unsigned = aws.disable_payload_signing;
  if (unsigned !== undefined && typeof unsigned !== "boolean") {
    fail(`${NAME}: invalid value for 'disable_payload_signing' in AWS config`);
  }
  const service = aws.aws_service as string;
  const region = aws.aws_region as string;
  const sessionToken = stringOr(aws.aws_session_token);
  const payloadHash = unsigned === true ? "UNSIGNED-PAYLOAD" : sha256Hex(Buffer.from(body, "utf8"));
  const date = `${when.getUTCFullYear()}${two(when.getUTCMonth() + 1)}${two(when.getUTCDate())}`;
  const stamp = `${date}T${two(when.getUTCHours())}${two(when.getUTCMinutes())}${two(when.getUTCSeconds())}Z`;

  const awsHeaders = new Map<string, string>([
    ["host", url.host],
    ["x-amz-date", stamp],
  ]);
  if (service === "s3" || service === "glacier") awsHeaders.set("x-amz-content-sha256", payloadHash);
  if (sessionToken !== "") awsHeaders.set("x-amz-security-token", sessionToken);
  const signed = new Map(awsHeaders);
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (!UNSIGNED_HEADERS.has(lower)) signed.set(lower, value);
  }
  const names = [...signed.keys()].sort();
  const canonical = [
    req.method as string,
    url.escapedPath,
    url.rawQuery,
    ...names.map((n) => `${n}:${signed.get(n)}`),
    "",
    names.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${sha256Hex(canonical)}`;
  const key = hmac(
    hmac(hmac(hmac(`AWS4${aws.aws_secret_access_key as string}`, date), region), service),
    "aws4_request",
  );
  const signature = createHmac("sha256", key).update(toSign).digest("hex");

  const out = Object.create(null) as { [key: string]: RegoValue };
  for (const [name, value] of headers) out[name] = value;
  out.Authorization =
    `AWS4-HMAC-SHA256 Credential=${aws.aws_access_key as string}/${scope},` +
    `SignedHeaders=${names.join(";")},Signature=${signature}`;
  for (const [name, value] of awsHeaders) out[name] = value;
  const result = Object.create(null) as { [key: string]: RegoValue };
  for (const k of Object.keys(req)) result[k] = req[k] as RegoValue;
  result.headers = out;
  return result;
}

export const awsBuiltins: Record<string, Builtin> = {
  [NAME]: ([request, config, time]) => signRequest(request, config, time),
};
