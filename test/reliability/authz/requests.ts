// Random CheckRequests for the authz fuzzer: every field of AttributeContext.HttpRequest drawn from
// hostile distributions (huge header maps and values, odd path encodings, bodies that are not what
// their content type claims, absurd sizes), plus random source/destination peers and context
// extensions. The credential slot is left to the caller, so each case carries one hostile token.
import { create } from "@bufbuild/protobuf";
import {
  type CheckRequest,
  CheckRequestSchema,
} from "../../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { HOSTILE_CHARS, type Random, TOKEN_CHARS, VALUE_CHARS } from "../random.ts";

const ODD_PATHS = [
  "/api/%2e%2e/admin",
  "/api/..%2f..%2fetc/passwd",
  "/api/%zz",
  "/api/%",
  "/api/%00",
  "/api/a%2Fb",
  "/api//double//slash",
  "/api/;jsessionid=1",
  "/api/\u00e9t\u00e9",
  "/api/%C0%AE%C0%AE/",
  "/api/?a=%zz",
  "/api/?a;b=c",
  `/api/?${"x=1&".repeat(2000)}`,
  "/api/#fragment",
  "api/no-leading-slash",
  "*",
  "",
  `/api/${"a".repeat(70_000)}`,
];

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=XyZ",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  "text/plain",
  "application/octet-stream",
  "",
  "application/json;;;",
  "APPLICATION/JSON",
];

const BODIES = [
  '{"a": [1, 2, {"b": null}]}',
  '{"unterminated": ',
  "[".repeat(5000),
  "a=1&b=%zz&c",
  '--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\nv\r\n--XyZ--\r\n',
  "--XyZ\r\nno headers at all",
  "\u0000\u0001\u0002",
  "null",
  "1e999999",
  '{"__proto__": {"allowed": true}}',
];

function hostileText(rand: Random, max: number): string {
  return rand.text(rand.chance(0.5) ? VALUE_CHARS : `${VALUE_CHARS}${HOSTILE_CHARS}`, rand.size(max));
}

function headerName(rand: Random): string {
  if (rand.chance(0.1))
    return rand.pick(["", " ", "a b", "x\r\ny", ":path", "content-length", "cookie", "x-meshward-subject"]);
  return rand.text(TOKEN_CHARS, rand.int(1, 24)).toLowerCase();
}

function headers(rand: Random): Record<string, string> {
  const out: Record<string, string> = {};
  const count = rand.chance(0.05) ? rand.int(200, 3000) : rand.size(40);
  for (let i = 0; i < count; i++) out[headerName(rand)] = hostileText(rand, rand.chance(0.02) ? 100_000 : 200);
  if (rand.chance(0.7)) out["content-type"] = rand.pick(CONTENT_TYPES);
  if (rand.chance(0.3)) out["content-length"] = rand.pick(["0", "-1", "abc", "99999999999999999999", "5", ""]);
  if (rand.chance(0.1)) out["x-envoy-auth-partial-body"] = rand.pick(["true", "false", "yes"]);
  return out;
}

function path(rand: Random): string {
  if (rand.chance(0.4)) return rand.pick(ODD_PATHS);
  const segments = Array.from({ length: rand.size(12) }, () => hostileText(rand, 16));
  return `/api/${segments.join("/")}${rand.chance(0.3) ? `?${hostileText(rand, 64)}` : ""}`;
}

function body(rand: Random): { body: string; rawBody: Uint8Array } {
  const r = rand.float();
  if (r < 0.3) return { body: "", rawBody: new Uint8Array(0) };
  if (r < 0.6) return { body: rand.pick(BODIES), rawBody: new Uint8Array(0) };
  if (r < 0.8) return { body: hostileText(rand, rand.chance(0.05) ? 2_000_000 : 4000), rawBody: new Uint8Array(0) };
  return { body: "", rawBody: rand.bytes(rand.size(8192)) };
}

/** One random CheckRequest; `credential` (header value, cookie) is placed as the caller says. */
export function randomCheckRequest(rand: Random, credential?: { header?: string; cookie?: string }): CheckRequest {
  const h = headers(rand);
  if (credential?.header !== undefined) h.authorization = credential.header;
  if (credential?.cookie !== undefined) h.cookie = credential.cookie;
  const b = body(rand);
  const method = rand.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "", "g e t", "\r\n"]);
  return create(CheckRequestSchema, {
    attributes: {
      source: rand.chance(0.5)
        ? {
            principal: rand.pick(["", "spiffe://", "spiffe://cluster.local/ns/a/sa/b", hostileText(rand, 80)]),
            address: { address: { case: "socketAddress", value: { address: hostileText(rand, 40) } } },
          }
        : undefined,
      contextExtensions: rand.chance(0.2) ? { meshward_entrypoint: hostileText(rand, 30) } : {},
      request: {
        http: {
          id: hostileText(rand, 40),
          method,
          path: path(rand),
          host: hostileText(rand, 60),
          scheme: rand.pick(["http", "https", "", "javascript"]),
          query: hostileText(rand, 40),
          fragment: hostileText(rand, 20),
          protocol: rand.pick(["HTTP/1.1", "HTTP/2", "", "HTTP/9"]),
          size: BigInt(rand.int(-1, 1 << 30)),
          headers: h,
          ...b,
        },
      },
    },
  });
}
