// The compatibility corpus: CheckRequest × policy cases written against opa-envoy-plugin's input
// contract and result forms. `npm run compat:record` sends each one to opa-envoy-plugin and
// records its answer in fixtures/recorded.json; test/compat/corpus.test.ts replays the recorded
// requests through Meshward and compares. Requests are protobuf JSON (what `fromJson` reads); the
// route names its policy through the `meshward_entrypoint` context extension, which opa-envoy
// sees as ordinary input (its own policy path is set per run).
import type { JsonObject } from "@bufbuild/protobuf";

export interface CorpusCase {
  id: string;
  /** Package under test/compat/corpus/policies: the entrypoint is corpus/<policy>/allow. */
  policy: string;
  request: JsonObject;
  /** Server settings: opa-envoy's `dry-run` / Meshward's `policy.dryRun`, and body parsing off. */
  dryRun?: boolean;
  skipBodyParse?: boolean;
}

export const ENTRYPOINT_KEY = "meshward_entrypoint";

export function entrypointOf(policy: string): string {
  return `corpus/${policy}/allow`;
}

interface HttpSpec {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** base64 */
  rawBody?: string;
  host?: string;
  [field: string]: unknown;
}

interface RequestSpec {
  http?: HttpSpec;
  attributes?: JsonObject;
  contextExtensions?: Record<string, string>;
}

function request(policy: string, spec: RequestSpec): JsonObject {
  const { method = "GET", path = "/", headers = {}, ...rest } = spec.http ?? {};
  const http: JsonObject = {
    method,
    path,
    headers: { ":authority": "svc.local", ":method": method, ":path": path, ...headers },
    host: "svc.local",
    ...(rest as JsonObject),
  };
  const { request: extraRequest, ...extraAttributes } = spec.attributes ?? {};
  return {
    attributes: {
      ...extraAttributes,
      request: { ...(extraRequest as JsonObject | undefined), http },
      contextExtensions: { ...spec.contextExtensions, [ENTRYPOINT_KEY]: entrypointOf(policy) },
    },
  };
}

const cases: CorpusCase[] = [];

function add(
  id: string,
  policy: string,
  spec: RequestSpec,
  options: Pick<CorpusCase, "dryRun" | "skipBodyParse"> = {},
) {
  cases.push({ id, policy, request: request(policy, spec), ...options });
}

const b64 = (text: string | Buffer) => Buffer.from(text).toString("base64");

// ── Paths and queries (echo: parsed_path, parsed_query) ─────────────────────────────────────────
const paths: [string, string][] = [
  ["root", "/"],
  ["empty", ""],
  ["segments", "/a/b/c"],
  ["slashes", "//a//b/"],
  ["escaped-slash", "/a%2Fb/c"],
  ["escaped-slash-lower", "/a%2fb"],
  ["tilde", "/%7Euser"],
  ["utf8-escaped", "/caf%C3%A9"],
  ["utf8-raw", "/café/☕"],
  ["plus", "/a+b"],
  ["space", "/a%20b"],
  ["semicolon-in-path", "/a;b=c/d"],
  ["nul", "/a%00b"],
  ["crlf-escaped", "/a%0D%0Ab"],
  ["bad-escape", "/%zz"],
  ["truncated-escape", "/a%"],
  ["truncated-escape-2", "/a%4"],
  ["invalid-utf8", "/%ff/%e2%82"],
  ["dot-segments", "/a/./b/../c"],
  ["long", `/${"segment/".repeat(200)}end`],
  ["empty-query", "/a?"],
  ["query-flag", "/a?b"],
  ["query-empty-value", "/a?b="],
  ["query-empty-name", "/a?=b"],
  ["query-repeated", "/a?b=1&b=2&c=3"],
  ["query-empty-pairs", "/a?&&b=1&&"],
  ["query-plus", "/a?b+c=d+e"],
  ["query-escaped-plus", "/a?b=%2B"],
  ["query-escaped-amp", "/a?b=%26&c=%3D"],
  ["query-utf8", "/a?caf%C3%A9=%E2%98%95"],
  ["query-utf8-raw", "/a?é=ü"],
  ["query-semicolon", "/a?b=1;c=2"],
  ["query-semicolon-escaped", "/a?b=1%3Bc=2"],
  ["query-bad-escape-value", "/a?b=%zz"],
  ["query-bad-escape-name", "/a?%zz=1"],
  ["query-truncated-escape", "/a?b=%"],
  ["query-bad-and-good", "/a?good=1&bad=%zz&also=2"],
  ["query-invalid-utf8", "/a?x=%ff"],
  ["query-nul", "/a?x=%00"],
  ["query-proto-names", "/a?__proto__=1&constructor=2&toString=3&hasOwnProperty=4"],
  ["query-fragment", "/a?b=c#frag"],
  ["path-fragment", "/a#frag"],
  ["query-question-marks", "/a?b=c?d"],
  ["query-many", `/a?${Array.from({ length: 100 }, (_, i) => `p${i}=${i}`).join("&")}`],
];
for (const [name, path] of paths) add(`path/${name}`, "echo", { http: { path } });

// ── Attributes (echo: the CheckRequest as input.attributes) ────────────────────────────────────
add("attributes/empty-request", "echo", { http: { method: "", path: "", headers: {}, host: "" } });
add("attributes/all-http-fields", "echo", {
  http: {
    id: "13359530607844510314",
    method: "POST",
    path: "/orders?id=7",
    host: "shop.example",
    scheme: "https",
    query: "id=7",
    fragment: "top",
    size: "42",
    protocol: "HTTP/2",
    headers: { "user-agent": "curl/8", "x-forwarded-for": "192.0.2.1, 10.0.0.1", accept: "*/*" },
  },
});
add("attributes/header-map", "echo", {
  http: {
    headerMap: {
      headers: [
        { key: ":path", value: "/x" },
        { key: "x-raw", rawValue: b64("raw-bytes") },
      ],
    },
  },
});
add("attributes/header-names-and-values", "echo", {
  http: {
    headers: {
      "x-empty": "",
      "x-unicode": "café ☕",
      "x-spaces": "  padded  ",
      "x-json": '{"a":1}',
      "x-upper-value": "ABC",
    },
  },
});
add("attributes/peers", "echo", {
  attributes: {
    source: {
      address: { socketAddress: { address: "10.0.0.7", portValue: 53012 } },
      principal: "spiffe://cluster.local/ns/shop/sa/frontend",
      service: "frontend",
      labels: { app: "frontend", version: "v2" },
      certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    },
    destination: {
      address: { socketAddress: { address: "10.0.0.9", portValue: 8080 } },
      principal: "spiffe://cluster.local/ns/shop/sa/orders",
    },
  },
});
add("attributes/source-port-zero", "echo", {
  attributes: { source: { address: { socketAddress: { address: "10.0.0.7", portValue: 0 } } } },
});
add("attributes/pipe-address", "echo", {
  attributes: { source: { address: { pipe: { path: "/run/envoy.sock", mode: 420 } } } },
});
add("attributes/ipv6-address", "echo", {
  attributes: { destination: { address: { socketAddress: { address: "2001:db8::1", portValue: 443 } } } },
});
add("attributes/source-principal-only", "echo", {
  attributes: { source: { principal: "spiffe://example.org/ns/prod/sa/web" } },
});
add("attributes/source-principal-not-spiffe", "echo", {
  attributes: { source: { principal: "CN=client,O=Example" } },
});
add("attributes/request-time", "echo", { attributes: { request: { time: "2026-01-02T03:04:05.678901234Z" } } });
add("attributes/context-extensions", "echo", {
  contextExtensions: { team: "ops", "x.y": "z", empty: "", unicode: "☕" },
});
add("attributes/metadata-context", "echo", {
  attributes: {
    metadataContext: {
      filterMetadata: {
        "envoy.filters.http.jwt_authn": {
          payload: { sub: "alice", exp: 1900000000, roles: ["a", "b"], nested: { x: null, t: true, f: 1.5 } },
        },
        other: {},
      },
    },
  },
});
add("attributes/route-metadata-context", "echo", {
  attributes: { routeMetadataContext: { filterMetadata: { meshward: { entrypoint: "x", weight: 3 } } } },
});
add("attributes/tls-session", "echo", { attributes: { tlsSession: { sni: "shop.example" } } });
add("attributes/size-large", "echo", { http: { size: "9007199254740993" } });
add("attributes/size-negative", "echo", { http: { size: "-1" } });
for (const [name, method] of [
  ["get", "GET"],
  ["head", "HEAD"],
  ["options", "OPTIONS"],
  ["connect", "CONNECT"],
  ["custom", "PURGE"],
  ["lower", "get"],
] as const) {
  add(`attributes/method-${name}`, "echo", { http: { method, path: "/m" } });
}
for (const protocol of ["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/3"]) {
  add(`attributes/protocol-${protocol.replace("/", "").replace(".", "")}`, "echo", { http: { protocol } });
}

// ── Bodies (echo: parsed_body, truncated_body) ─────────────────────────────────────────────────
const JSON_TYPE = { "content-type": "application/json" };
const FORM_TYPE = { "content-type": "application/x-www-form-urlencoded" };
const jsonBodies: [string, string][] = [
  ["object", '{"a":1,"b":[true,null,"x"],"c":{"d":"e"},"f":-2.5e3}'],
  ["array", "[1,2,3]"],
  ["string", '"text"'],
  ["number", "42"],
  ["null", "null"],
  ["false", "false"],
  ["whitespace", ' \n\t{ "a" : 1 } \r\n '],
  ["empty-object", "{}"],
  ["unicode", '{"café":"☕","escaped":"\\u00e9\\n\\t\\"\\\\"}'],
  ["surrogate-pair", '{"a":"\\ud83d\\ude00"}'],
  ["lone-high-surrogate", '{"a":"\\ud800"}'],
  ["lone-low-surrogate", '{"a":"\\udc00x"}'],
  ["reversed-surrogates", '{"a":"\\udc00\\ud800"}'],
  ["lone-surrogate-key", '{"\\ud800":1}'],
  ["escaped-backslash-u", '{"a":"\\\\ud800"}'],
  ["duplicate-keys", '{"a":1,"a":2,"b":{"c":1,"c":[3]}}'],
  ["proto-keys", '{"__proto__":{"x":1},"constructor":"c"}'],
  ["big-numbers", '{"big":12345678901234567890,"small":1e-7,"neg":-0}'],
  ["deep-nesting", `${"[".repeat(40)}${"]".repeat(40)}`],
  ["invalid", '{"a":'],
  ["trailing-value", "{} {}"],
  ["trailing-comma", "[1,]"],
  ["single-quotes", "{'a':1}"],
  ["nan", '{"a":NaN}'],
  ["leading-zero", "[01]"],
  ["control-character", '{"a":"x\u0001y"}'],
  ["bom", '\ufeff{"a":1}'],
];
for (const [name, body] of jsonBodies) {
  add(`body/json-${name}`, "echo", { http: { method: "POST", headers: JSON_TYPE, body } });
}
add("body/json-too-deep", "results", {
  http: { method: "POST", path: "/?r=allow", headers: JSON_TYPE, body: `${"[".repeat(10_001)}${"]".repeat(10_001)}` },
});
add("body/json-deepest-allowed", "results", {
  http: { method: "POST", path: "/?r=allow", headers: JSON_TYPE, body: `${"[".repeat(10_000)}${"]".repeat(10_000)}` },
});
add("body/json-raw-body", "echo", { http: { method: "POST", headers: JSON_TYPE, rawBody: b64('{"packed":true}') } });
add("body/json-raw-body-invalid-utf8", "echo", {
  http: {
    method: "POST",
    headers: JSON_TYPE,
    rawBody: b64(Buffer.concat([Buffer.from('{"a":"x'), Buffer.from([0xff, 0xfe]), Buffer.from('y"}')])),
  },
});
add("body/json-body-and-raw-body", "echo", {
  http: { method: "POST", headers: JSON_TYPE, body: '{"from":"body"}', rawBody: b64('{"from":"raw"}') },
});
add("body/json-empty", "echo", { http: { method: "POST", headers: JSON_TYPE, body: "" } });
for (const [name, type] of [
  ["charset", "application/json; charset=utf-8"],
  ["upper-case", "Application/JSON"],
  ["patch", "application/json-patch+json"],
  ["vendor", "application/vnd.api+json"],
  ["text-json", "text/json"],
  ["suffix", "application/jsonx"],
] as const) {
  add(`body/content-type-${name}`, "echo", {
    http: { method: "POST", headers: { "content-type": type }, body: '{"a":1}' },
  });
}
add("body/no-content-type", "echo", { http: { method: "POST", body: '{"a":1}' } });
add("body/text-plain", "echo", { http: { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" } });
add("body/grpc", "echo", {
  http: {
    method: "POST",
    path: "/pkg.Svc/Call",
    headers: { "content-type": "application/grpc" },
    rawBody: b64("\0\0\0\0\0"),
  },
});
add("body/grpc-with-form-parameter", "echo", {
  http: {
    method: "POST",
    headers: { "content-type": "application/grpc; x=application/x-www-form-urlencoded" },
    body: "a=1",
  },
});
const lengths: [string, string, string][] = [
  ["equal", "7", '{"a":1}'],
  ["longer", "100", '{"a":1}'],
  ["shorter", "3", '{"a":1}'],
  ["minus-one", "-1", '{"a":1}'],
  ["negative", "-5", '{"a":1}'],
  ["plus-sign", "+100", '{"a":1}'],
  ["leading-zeros", "0007", '{"a":1}'],
  ["space", " 7", '{"a":1}'],
  ["hex", "0x10", '{"a":1}'],
  ["empty", "", '{"a":1}'],
  ["letters", "seven", '{"a":1}'],
  ["int64-max", "9223372036854775807", '{"a":1}'],
  ["int64-overflow", "9223372036854775808", '{"a":1}'],
  ["huge", "99999999999999999999", '{"a":1}'],
  ["huge-negative", "-99999999999999999999", '{"a":1}'],
  ["multibyte-body", "7", '{"é":1}'],
];
for (const [name, length, body] of lengths) {
  add(`body/content-length-${name}`, "echo", {
    http: { method: "POST", headers: { ...JSON_TYPE, "content-length": length }, body },
  });
}
add("body/content-length-with-text-plain", "echo", {
  http: { method: "POST", headers: { "content-type": "text/plain", "content-length": "zzz" }, body: "x" },
});
add("body/content-length-empty-body", "echo", {
  http: { method: "POST", headers: { ...JSON_TYPE, "content-length": "zzz" }, body: "" },
});
add("body/content-length-form", "echo", {
  http: { method: "POST", headers: { ...FORM_TYPE, "content-length": "99999999999999999999" }, body: "a=1" },
});
for (const [name, value] of [
  ["true", "true"],
  ["capitalised", "True"],
  ["false", "false"],
] as const) {
  add(`body/partial-${name}`, "echo", {
    http: { method: "POST", headers: { ...JSON_TYPE, "x-envoy-auth-partial-body": value }, body: '{"a":1}' },
  });
}
add("body/partial-without-content-type", "echo", {
  http: { method: "POST", headers: { "x-envoy-auth-partial-body": "true" }, body: "x" },
});
const forms: [string, string][] = [
  ["simple", "a=1&b=2&a=3"],
  ["plus-and-escapes", "a+b=c+d&e=%26%3D"],
  ["bad-escape", "a=%zz"],
  ["semicolon", "a=1;b=2"],
  ["empty-pairs", "&&a=1&&"],
  ["flag", "a"],
  ["empty-name", "=x"],
  ["utf8", "a=caf%C3%A9&b=é"],
  ["invalid-utf8", "a=%ff"],
  ["proto-names", "__proto__=1&constructor=2"],
  ["json-looking", '{"a":1}'],
];
for (const [name, body] of forms) {
  add(`body/form-${name}`, "echo", { http: { method: "POST", headers: FORM_TYPE, body } });
}
add("body/form-charset", "echo", {
  http: {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: "a=1",
  },
});
add("body/form-raw-body", "echo", { http: { method: "POST", headers: FORM_TYPE, rawBody: b64("x=1&y=2") } });
add("body/form-too-many-params", "results", {
  http: { method: "POST", path: "/?r=allow", headers: FORM_TYPE, body: "a=1&".repeat(10_000) },
});
add("body/form-most-params-allowed", "results", {
  http: {
    method: "POST",
    path: "/?r=allow",
    headers: FORM_TYPE,
    body: Array.from({ length: 10_000 }, () => "a=1").join("&"),
  },
});
add("path/query-too-many-params", "results", { http: { path: `/?r=allow${"&a=1".repeat(10_000)}` } });
add("path/query-most-params-allowed", "results", { http: { path: `/?r=allow${"&a=1".repeat(9_999)}` } });

// ── multipart/form-data (echo), as Go's mime/multipart reads it ────────────────────────────────
const part = (headers: string[], content: string) => `${headers.join("\r\n")}\r\n\r\n${content}`;
const multipart = (boundary: string, parts: string[], close = `--${boundary}--\r\n`) =>
  `${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join("")}${close}`;
const field = (name: string, value: string) => part([`Content-Disposition: form-data; name="${name}"`], value);
const MP = { "content-type": "multipart/form-data; boundary=XyZ" };
const multiparts: [string, Record<string, string>, string][] = [
  ["two-fields", MP, multipart("XyZ", [field("title", "hello"), field("title", "again"), field("n", "1")])],
  [
    "json-part",
    MP,
    multipart("XyZ", [
      part(['Content-Disposition: form-data; name="meta"', "Content-Type: application/json"], '{"k":[1,2]}'),
    ]),
  ],
  [
    "json-part-invalid",
    MP,
    multipart("XyZ", [part(['Content-Disposition: form-data; name="meta"', "Content-Type: application/json"], "{")]),
  ],
  ["boundary-inside-content", MP, multipart("XyZ", [field("a", "before --XyZ after")])],
  ["boundary-at-line-start-with-suffix", MP, multipart("XyZ", [field("a", "line\r\n--XyZabc\r\nmore")])],
  ["boundary-followed-by-dash", MP, multipart("XyZ", [field("a", "line\r\n--XyZ-x")])],
  ["no-boundary-parameter", { "content-type": "multipart/form-data" }, multipart("XyZ", [field("a", "1")])],
  ["empty-boundary", { "content-type": 'multipart/form-data; boundary=""' }, multipart("", [field("a", "1")])],
  [
    "quoted-boundary",
    { "content-type": 'multipart/form-data; boundary="a:b c"' },
    multipart("a:b c", [field("a", "1")]),
  ],
  ["boundary-case", { "content-type": "multipart/form-data; BOUNDARY=XyZ" }, multipart("XyZ", [field("a", "1")])],
  ["no-closing-delimiter", MP, `--XyZ\r\n${field("a", "1")}\r\n`],
  ["ends-after-boundary-line", MP, `--XyZ\r\n${field("a", "1")}\r\n--XyZ\r\n`],
  ["ends-inside-headers", MP, `--XyZ\r\n${field("a", "1")}\r\n--XyZ\r\nContent-Disposition: form-data; name="b"`],
  ["ends-at-boundary-without-newline", MP, `--XyZ\r\n${field("a", "1")}\r\n--XyZ`],
  ["closing-without-newline", MP, multipart("XyZ", [field("a", "1")], "--XyZ--")],
  ["closing-with-spaces", MP, multipart("XyZ", [field("a", "1")], "--XyZ--  \r\n")],
  [
    "invalid-media-parameter",
    { "content-type": "multipart/form-data; boundary=XyZ; =bad" },
    multipart("XyZ", [field("a", "1")]),
  ],
  ["trailing-semicolon", { "content-type": "multipart/form-data; boundary=XyZ;" }, multipart("XyZ", [field("a", "1")])],
  [
    "duplicate-boundary",
    { "content-type": "multipart/form-data; boundary=XyZ; boundary=Other" },
    multipart("XyZ", [field("a", "1")]),
  ],
  [
    "same-boundary-twice",
    { "content-type": "multipart/form-data; boundary=XyZ; boundary=XyZ" },
    multipart("XyZ", [field("a", "1")]),
  ],
  [
    "rfc2231-boundary",
    { "content-type": "multipart/form-data; boundary*=utf-8''XyZ" },
    multipart("XyZ", [field("a", "1")]),
  ],
  [
    "quoted-printable",
    MP,
    multipart("XyZ", [
      part(
        ['Content-Disposition: form-data; name="q"', "Content-Transfer-Encoding: quoted-printable"],
        "caf=C3=A9 =3D x",
      ),
    ]),
  ],
  [
    "quoted-printable-soft-break",
    MP,
    multipart("XyZ", [
      part(
        ['Content-Disposition: form-data; name="q"', "Content-Transfer-Encoding: Quoted-Printable"],
        "long =\r\nline  \r\nnext",
      ),
    ]),
  ],
  [
    "quoted-printable-invalid",
    MP,
    multipart("XyZ", [
      part(
        ['Content-Disposition: form-data; name="q"', "Content-Transfer-Encoding: quoted-printable"],
        "bad \u0001 byte",
      ),
    ]),
  ],
  [
    "quoted-printable-lenient-equals",
    MP,
    multipart("XyZ", [
      part(['Content-Disposition: form-data; name="q"', "Content-Transfer-Encoding: quoted-printable"], "a=zz b=4"),
    ]),
  ],
  [
    "base64-not-decoded",
    MP,
    multipart("XyZ", [
      part(['Content-Disposition: form-data; name="b"', "Content-Transfer-Encoding: base64"], b64("hi")),
    ]),
  ],
  ["escaped-quote-in-name", MP, multipart("XyZ", [part(['Content-Disposition: form-data; name="a\\"b"'], "v")])],
  ["backslash-in-name", MP, multipart("XyZ", [part(['Content-Disposition: form-data; name="C:\\dir\\f"'], "v")])],
  ["token-name", MP, multipart("XyZ", [part(["Content-Disposition: form-data; name=plain"], "v")])],
  ["rfc2231-name", MP, multipart("XyZ", [part(["Content-Disposition: form-data; name*=utf-8''caf%C3%A9"], "v")])],
  [
    "rfc2231-continuation",
    MP,
    multipart("XyZ", [part(['Content-Disposition: form-data; name*0="ab"; name*1="cd"'], "v")]),
  ],
  ["utf8-name", MP, multipart("XyZ", [part(['Content-Disposition: form-data; name="café"'], "☕")])],
  [
    "file-part",
    MP,
    multipart("XyZ", [
      part(['Content-Disposition: form-data; name="f"; filename="a.txt"', "Content-Type: text/plain"], "file text"),
    ]),
  ],
  [
    "part-without-name",
    MP,
    multipart("XyZ", [part(['Content-Disposition: form-data; filename="a.txt"'], "x"), field("b", "2")]),
  ],
  [
    "attachment-disposition",
    MP,
    multipart("XyZ", [part(['Content-Disposition: attachment; name="a"'], "x"), field("b", "2")]),
  ],
  ["part-without-headers", MP, `--XyZ\r\n\r\nno headers\r\n--XyZ--\r\n`],
  ["header-without-colon", MP, multipart("XyZ", [part(["Content-Disposition form-data"], "x")])],
  ["header-name-with-space", MP, multipart("XyZ", [part(['Content-Disposition : form-data; name="a"'], "x")])],
  ["folded-header", MP, multipart("XyZ", [part(["Content-Disposition: form-data;", ' name="folded"'], "x")])],
  ["header-starts-with-space", MP, `--XyZ\r\n Content-Disposition: form-data; name="a"\r\n\r\nx\r\n--XyZ--\r\n`],
  [
    "header-value-control",
    MP,
    multipart("XyZ", [part(['Content-Disposition: form-data; name="a"', "X-Bad: a\u0001b"], "x")]),
  ],
  ["disposition-bad-parameter", MP, multipart("XyZ", [part(['Content-Disposition: form-data; name="a"; =x'], "x")])],
  ["disposition-lower-case", MP, multipart("XyZ", [part(['content-disposition: FORM-DATA; NAME="a"'], "x")])],
  ["lf-line-endings", MP, '--XyZ\nContent-Disposition: form-data; name="a"\n\nlf value\n--XyZ--\n'],
  ["mixed-line-endings", MP, '--XyZ\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--XyZ--\r\n'],
  ["preamble-and-epilogue", MP, `preamble line\r\nanother\r\n${multipart("XyZ", [field("a", "1")])}epilogue\r\n`],
  ["boundary-line-trailing-spaces", MP, `--XyZ \t\r\n${field("a", "1")}\r\n--XyZ--\r\n`],
  ["empty-content", MP, multipart("XyZ", [field("a", "")])],
  ["content-then-boundary-without-crlf", MP, `--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n--XyZ--\r\n`],
  ["crlf-in-content", MP, multipart("XyZ", [field("a", "line1\r\nline2\r\n")])],
  ["only-garbage", MP, "garbage"],
  ["only-garbage-line", MP, "garbage\r\n"],
  ["empty-form", MP, "--XyZ--\r\n"],
  ["long-preamble-line", MP, `${"p".repeat(5000)}\r\n${multipart("XyZ", [field("a", "1")])}`],
  ["long-content", MP, multipart("XyZ", [field("a", "x".repeat(9000))])],
  ["proto-name", MP, multipart("XyZ", [field("__proto__", "p"), field("constructor", "c")])],
  ["unexpected-line-between-parts", MP, `--XyZ\r\n${field("a", "1")}\r\n\r\nstray\r\n--XyZ--\r\n`],
  ["other-type-with-multipart-parameter", { "content-type": "text/plain; x=multipart/form-data" }, "x"],
];
for (const [name, headers, body] of multiparts) {
  add(`body/multipart-${name}`, "echo", { http: { method: "POST", headers, body } });
}
add("body/multipart-raw-body", "echo", {
  http: { method: "POST", headers: MP, rawBody: b64(multipart("XyZ", [field("a", "packed")])) },
});
add("body/multipart-invalid-utf8-content", "echo", {
  http: {
    method: "POST",
    headers: MP,
    rawBody: b64(
      Buffer.concat([
        Buffer.from(`--XyZ\r\n${part(['Content-Disposition: form-data; name="a"'], "")}`),
        Buffer.from([0xff]),
        Buffer.from("\r\n--XyZ--\r\n"),
      ]),
    ),
  },
});
add("body/multipart-content-length-truncated", "echo", {
  http: { method: "POST", headers: { ...MP, "content-length": "999" }, body: multipart("XyZ", [field("a", "1")]) },
});

// ── Body parsing switched off ──────────────────────────────────────────────────────────────────
for (const [name, headers, body] of [
  ["json", JSON_TYPE, '{"a":1}'],
  ["invalid-json", JSON_TYPE, "{"],
  ["huge-content-length", { ...JSON_TYPE, "content-length": "99999999999999999999" }, "{}"],
  ["multipart", MP, multipart("XyZ", [field("a", "1")])],
] as const) {
  add(`skip-body/${name}`, "echo", { http: { method: "POST", headers, body } }, { skipBodyParse: true });
}
add("skip-body/bad-query-still-fails", "echo", { http: { path: "/a?b=%zz" } }, { skipBodyParse: true });

// ── Exact numbers ──────────────────────────────────────────────────────────────────────────────
const numberBodies: [string, string][] = [
  ["big", '{"big":12345678901234567890}'],
  ["big-rounded-literal", '{"big":12345678901234567000}'],
  ["precise", '{"precise":1.00000000000000000001}'],
  ["one", '{"precise":1}'],
  ["negative", '{"negative":-98765432109876543210}'],
  ["small", '{"small":0.1}'],
  ["exponent", '{"exponent":1e400}'],
  ["list", '{"list":[9007199254740993,9007199254740992]}'],
  ["big-in-string", '{"big":"12345678901234567890"}'],
  ["big-with-surrogate", '{"big":12345678901234567890,"s":"\\ud800"}'],
];
for (const [name, body] of numberBodies) {
  add(`numbers/${name}`, "numbers", { http: { method: "POST", headers: JSON_TYPE, body } });
}
add("numbers/size", "numbers", { http: { size: "9007199254740993" } });
add("numbers/multipart-json-part", "echo", {
  http: {
    method: "POST",
    headers: MP,
    body: multipart("XyZ", [
      part(['Content-Disposition: form-data; name="n"', "Content-Type: application/json"], "12345678901234567891"),
    ]),
  },
});

// ── Iteration order ────────────────────────────────────────────────────────────────────────────
add("iteration/object-keys", "iteration", {
  http: { method: "POST", headers: JSON_TYPE, body: '{"b":1,"a":2,"c":3}' },
});
add("iteration/object-one-key", "iteration", { http: { method: "POST", headers: JSON_TYPE, body: '{"only":1}' } });
add("iteration/set-members", "iteration", { http: { path: "/?m=b&m=a&m=c" } });

// ── Evaluation failures ────────────────────────────────────────────────────────────────────────
add("failures/first-rule", "failures", { http: { path: "/?a=1" } });
add("failures/second-rule", "failures", { http: { path: "/?b=1" } });
add("failures/conflict", "failures", { http: { path: "/?a=1&b=1" } });
add("failures/undefined", "failures", { http: { path: "/" } });

// ── Result forms ───────────────────────────────────────────────────────────────────────────────
const resultForms = [
  "true",
  "false",
  "string",
  "number",
  "null",
  "array",
  "set",
  "no-allowed",
  "allowed-null",
  "allowed-string",
  "allowed-number",
  "allowed-object",
  "unknown-field",
  "allow",
  "allow-headers",
  "allow-headers-list",
  "allow-headers-array",
  "allow-headers-array-same-name",
  "allow-headers-empty",
  "allow-headers-empty-list",
  "allow-headers-empty-array",
  "allow-headers-set",
  "allow-headers-number",
  "allow-headers-bool",
  "allow-headers-null",
  "allow-headers-object",
  "allow-headers-list-number",
  "allow-headers-string",
  "allow-headers-array-string",
  "allow-headers-array-mixed",
  "allow-headers-is-null",
  "allow-header-upper",
  "allow-header-tab",
  "allow-header-unicode-value",
  "allow-header-empty-value",
  "allow-header-crlf",
  "allow-header-lf",
  "allow-header-nul",
  "allow-header-del",
  "allow-header-bad-name",
  "allow-header-colon-name",
  "allow-header-pseudo-name",
  "allow-header-empty-name",
  "allow-header-unicode-name",
  "allow-remove",
  "allow-remove-set",
  "allow-remove-empty",
  "allow-remove-string",
  "allow-remove-number",
  "allow-remove-object",
  "allow-remove-null",
  "allow-remove-bad-name",
  "allow-response-headers",
  "allow-response-headers-array",
  "allow-response-headers-number",
  "allow-response-headers-string",
  "allow-response-header-crlf",
  "allow-query-set",
  "allow-query-set-list",
  "allow-query-set-empty-list",
  "allow-query-set-number",
  "allow-query-set-value-number",
  "allow-query-set-list-number",
  "allow-query-set-array",
  "allow-query-set-set",
  "allow-query-set-specials",
  "allow-query-remove",
  "allow-query-remove-set",
  "allow-query-remove-string",
  "allow-query-remove-number",
  "allow-status-999",
  "allow-status-401",
  "allow-status-string",
  "allow-body-number",
  "allow-body-object",
  "allow-metadata",
  "allow-metadata-empty",
  "allow-metadata-string",
  "allow-metadata-array",
  "allow-metadata-null",
  "allow-metadata-decision-id",
  "allow-metadata-big-number",
  "allow-metadata-set",
  "allow-metadata-unicode",
  "allow-all-fields",
  "deny",
  "deny-status-401",
  "deny-status-400",
  "deny-status-429",
  "deny-status-500",
  "deny-status-503",
  "deny-status-302",
  "deny-status-200",
  "deny-status-226",
  "deny-status-100",
  "deny-status-101",
  "deny-status-418",
  "deny-status-451",
  "deny-status-599",
  "deny-status-999",
  "deny-status-0",
  "deny-status-negative",
  "deny-status-fraction",
  "deny-status-integral-float",
  "deny-status-exponent",
  "deny-status-string",
  "deny-status-null",
  "deny-status-huge",
  "deny-body",
  "deny-body-empty",
  "deny-body-unicode",
  "deny-body-number",
  "deny-body-null",
  "deny-headers",
  "deny-headers-array",
  "deny-headers-number",
  "deny-headers-string",
  "deny-header-crlf",
  "deny-allow-fields-invalid",
  "deny-401-remove-string",
  "deny-query-set-number",
  "deny-metadata",
  "deny-metadata-string",
  "deny-all-fields",
  "no-such-form",
];
for (const form of resultForms) add(`result/${form}`, "results", { http: { path: `/?r=${form}` } });
const echoed: [string, string, string][] = [
  ["allow-header-echo", "plain", "value"],
  ["allow-header-echo", "crlf", "a%0D%0Ax-injected:%201"],
  ["allow-header-echo", "lf", "a%0Ab"],
  ["allow-header-echo", "nul", "a%00b"],
  ["allow-header-echo", "utf8", "caf%C3%A9"],
  ["allow-header-echo", "invalid-utf8", "%ff"],
  ["allow-header-echo-name", "plain", "x-from-request"],
  ["allow-header-echo-name", "space", "x%20y"],
  ["allow-header-echo-name", "upper", "X-Upper"],
  ["allow-remove-echo", "plain", "x-remove"],
  ["allow-remove-echo", "crlf", "x%0D%0Ay"],
  ["allow-query-set-echo", "specials", "a%26b%3Dc"],
  ["deny-header-echo", "crlf", "a%0D%0Aset-cookie:%20x"],
  ["deny-body-echo", "crlf", "a%0D%0Ab"],
];
for (const [form, name, value] of echoed) {
  add(`result/${form}-${name}`, "results", { http: { path: `/?r=${form}&v=${value}` } });
}

// ── Builtins on request data ──────────────────────────────────────────────────────────────────
/** A self-signed client certificate made for this corpus (no key kept), as Envoy sends it:
 *  URL-encoded PEM in attributes.source.certificate. */
const CLIENT_CERTIFICATE =
  "-----BEGIN CERTIFICATE-----\nMIIB/DCCAaKgAwIBAgIUImn95BsEVpjxFsBjNCCOAoSrS6swCgYIKoZIzj0EAwIw\nNjEaMBgGA1UEAwwRZnJvbnRlbmQuc2hvcC5zdmMxGDAWBgNVBAoMD01lc2h3YXJk\nIGNvcnB1czAgFw0yNjEyMDQxNTU2MDZaGA8yMTI2MTExMDE1NTYwNlowNjEaMBgG\nA1UEAwwRZnJvbnRlbmQuc2hvcC5zdmMxGDAWBgNVBAoMD01lc2h3YXJkIGNvcnB1\nczBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKG04DeRxFVDJl1oBAu3qFbXEtKS\nOFpVmvsAxxP7tpioejXPWLuXXU2KwgKuUjm8q8fRYXjW6SQ6CBjKIzKCHP+jgYsw\ngYgwHQYDVR0OBBYEFNjEQPmpR82k+riNQAvE3LF52HbTMB8GA1UdIwQYMBaAFNjE\nQPmpR82k+riNQAvE3LF52HbTMA8GA1UdEwEB/wQFMAMBAf8wNQYDVR0RBC4wLIYq\nc3BpZmZlOi8vY2x1c3Rlci5sb2NhbC9ucy9zaG9wL3NhL2Zyb250ZW5kMAoGCCqG\nSM49BAMCA0gAMEUCIQC+N1EXC1jfN7C9g+5PWgFFLmWloQI+yPSdb8hVdOs8gQIg\nahNbZ9EYk9PsY6/bcQjTZQd11mYuLge6g+BkDP/BVO8=\n-----END CERTIFICATE-----\n";
const builtinHeaders = {
  "x-payload": "hello",
  "x-networks": "10.0.0.0/24,10.0.1.0/24,192.168.1.0/24",
  "x-forwarded-for": "10.1.2.3, 172.16.0.1, 192.168.7.7",
  "x-client-version": "1.10.0-rc.1",
  "x-quota": "1.5GiB",
  "x-issued": "2026-03-04T05:06:07.123456789+02:00",
};
add("builtins/typical", "builtins", {
  http: { path: "/internal/orders/7?tenant=acme&x=1", headers: builtinHeaders },
  attributes: { source: { certificate: encodeURIComponent(CLIENT_CERTIFICATE) } },
});
add("builtins/no-certificate", "builtins", { http: { path: "/api/x?tenant=other", headers: builtinHeaders } });
add("builtins/older-client", "builtins", {
  http: { path: "/a", headers: { ...builtinHeaders, "x-client-version": "v1.1.9", "x-quota": "100" } },
});
add("builtins/invalid-version", "builtins", {
  http: { path: "/a", headers: { ...builtinHeaders, "x-client-version": "1.2" } },
});
add("builtins/bad-issued-time", "builtins", {
  http: { path: "/a", headers: { ...builtinHeaders, "x-issued": "yesterday" } },
});
add("builtins/bad-network", "builtins", {
  http: { path: "/a", headers: { ...builtinHeaders, "x-networks": "10.0.0.0/33" } },
});
add("builtins/unicode-path", "builtins", {
  http: { path: "/caf%C3%A9/%E2%98%95?tenant=acme", headers: builtinHeaders },
});
add("builtins/garbage-certificate", "builtins", {
  http: { path: "/a", headers: builtinHeaders },
  attributes: { source: { certificate: "-----BEGIN%20CERTIFICATE-----%0Anope%0A-----END%20CERTIFICATE-----" } },
});

// ── Dry-run ────────────────────────────────────────────────────────────────────────────────────
for (const form of [
  "deny",
  "false",
  "deny-status-401",
  "deny-metadata",
  "deny-all-fields",
  "allow",
  "allow-all-fields",
  "deny-status-999",
  "allowed-string",
  "number",
  "no-such-form",
  "deny-header-crlf",
]) {
  add(`dry-run/${form}`, "results", { http: { path: `/?r=${form}` } }, { dryRun: true });
}
add("dry-run/bad-query", "results", { http: { path: "/?r=deny&x=%zz" } }, { dryRun: true });
add("dry-run/conflict", "failures", { http: { path: "/?a=1&b=1" } }, { dryRun: true });

export const CORPUS: readonly CorpusCase[] = cases;
