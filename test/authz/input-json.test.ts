// The policy input's JSON written straight into the policy's memory (translate/json-writer.ts,
// translate/message-json.ts, TranslatedRequest.write) must be, byte for byte, what the policy got
// before: `new TextEncoder().encode(JSON.stringify(input))` of the object toPolicyInput builds,
// with raw JSON slots spliced in (raw-json.ts inputJsonText). Proven here over seeded random
// CheckRequests from the reliability fuzzer's hostile distributions (huge header maps and values,
// odd paths, bodies of every content type, lone surrogates, control characters), over requests
// built to hit each rare shape (unsafe int64, exact JSON numbers, JSON multipart parts, Struct
// metadata, integer-like and `__proto__` keys), with and without `input.meshward`; and through the
// evaluator's memory path against the SDK's own evaluate.
//   MESHWARD_INPUT_JSON_CASES=41200 npx vitest run test/authz/input-json.test.ts  (longer run)
import { create } from "@bufbuild/protobuf";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { describe, expect, it } from "vitest";
import {
  type CheckRequest,
  CheckRequestSchema,
} from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { type TranslatedRequest, translateRequest } from "../../authz-server/src/translate/input.ts";
import { GrowableBytes, JsonWriter, rawTextsOf } from "../../authz-server/src/translate/json-writer.ts";
import { inputJsonText, rawJsonSlots } from "../../authz-server/src/translate/raw-json.ts";
import { randomCheckRequest } from "../reliability/authz/requests.ts";
import { Random } from "../reliability/random.ts";

const CASES = Number(process.env.MESHWARD_INPUT_JSON_CASES ?? 1000);
const encoder = new TextEncoder();

/** What the evaluator handed the SDK before: the object's JSON text, raw slots spliced in. */
function previousBytes(input: object): Uint8Array {
  return encoder.encode(inputJsonText(input) ?? JSON.stringify(input));
}

function written(write: (w: JsonWriter) => void, start = 0): Uint8Array {
  const sink = new GrowableBytes();
  const w = new JsonWriter(sink, start);
  write(w);
  return sink.bytes.slice(start, w.pos);
}

/** Strings no alphabet of the fuzzer is sure to produce together. */
const NASTY = [
  "\ud800",
  "a\udfffb",
  "\udc00\ud800",
  "\ud83d\ude00",
  "\u0000\u0001\u001f\u007f",
  "\b\f\n\r\t\u000b",
  '"\\/',
  "\u2028\u2029\ufffd\ufeff",
  "é€😀𝄞",
  "",
];

function nasty(rand: Random, length: number): string {
  let s = "";
  while (s.length < length) s += rand.pick(NASTY) + (rand.chance(0.3) ? "x".repeat(rand.int(0, 40)) : "");
  return s;
}

/** Every UTF-8 byte of `text` percent-encoded (lone surrogates become U+FFFD's bytes). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}

/** A meshward section as the enrichers write it, with hostile text and the values JSON drops. */
function meshward(rand: Random): Record<string, unknown> {
  return {
    identity: {
      subject: nasty(rand, 8),
      issuer: null,
      audience: [nasty(rand, 3), undefined, 1.5, -0, Number.NaN],
      claims: { [nasty(rand, 4)]: nasty(rand, 30), "12": true, __skipped: undefined, fn: () => 1 },
      authenticated: rand.chance(0.5),
    },
    risk: { score: rand.int(0, 100), level: "low", reasons: [], at: new Date(1_700_000_000_000) },
  };
}

/** Requests that reach each rare shape of the translation. */
function shapedRequests(rand: Random): CheckRequest[] {
  const headerMaps: Record<string, string>[] = [
    { "0": "zero", "10": "ten", "2": "two", b: "x", a: nasty(rand, 20), "4294967295": "big", "-1": "neg" },
    JSON.parse('{"__proto__": "p", "constructor": "c", "toString": "t"}'),
    { [nasty(rand, 5)]: nasty(rand, 70_000) },
    {},
  ];
  const bodies: { type: string; body: string }[] = [
    { type: "application/json", body: '{"n": 12345678901234567890, "f": 1.0e400, "s": "\\ud800", "a": [1e21, 0.1]}' },
    { type: "application/json", body: "[1, 2, 3]" },
    {
      type: "multipart/form-data; boundary=XyZ",
      body:
        '--XyZ\r\nContent-Disposition: form-data; name="j"\r\nContent-Type: application/json\r\n\r\n' +
        '{"big": 98765432109876543210}\r\n--XyZ--\r\n',
    },
    { type: "application/x-www-form-urlencoded", body: "a=1&a=2&%F0%9F%98%80=%ED%A0%80&b" },
  ];
  const out: CheckRequest[] = [];
  for (const headers of headerMaps) {
    for (const { type, body } of bodies) {
      out.push(
        create(CheckRequestSchema, {
          attributes: {
            source: { principal: nasty(rand, 10), labels: { "1": "x", k: nasty(rand, 4) } },
            destination: { service: "svc", certificate: "" },
            contextExtensions: { "7": "seven", key: nasty(rand, 12) },
            metadataContext: {
              filterMetadata: { "envoy.lb": { canary: true, weight: 2.5, tags: ["a", null, { x: 1 }] } },
            },
            request: {
              time: { seconds: 1_700_000_000n, nanos: 5 },
              http: {
                id: "9",
                method: "POST",
                path: `/p/${percentEncoded(nasty(rand, 6))}?q=${percentEncoded(nasty(rand, 6))}&q=2`,
                headers: { ...headers, "content-type": type },
                body,
                size: rand.pick([0n, 1n, 9_007_199_254_740_993n, -9_223_372_036_854_775_808n, 18_446_744_073n]),
                rawBody: rand.chance(0.2) ? rand.bytes(7) : new Uint8Array(0),
              },
            },
          },
        }),
      );
    }
  }
  return out;
}

/** translateRequest, or undefined when the request is malformed (then toPolicyInput failed too). */
function translated(request: CheckRequest): TranslatedRequest | undefined {
  try {
    return translateRequest(request);
  } catch {
    return undefined;
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (x: Uint8Array) =>
    JSON.stringify(Buffer.from(x.subarray(Math.max(0, i - 40), i + 40)).toString("latin1"));
  return `at byte ${i} of ${a.length}/${b.length}: expected ${show(a)}, wrote ${show(b)}`;
}

describe("policy input JSON written directly", () => {
  it(
    `matches the previous bytes on ${CASES} fuzzer requests and the rare shapes, with and without meshward`,
    () => {
      const root = new Random(41_200);
      const shaped = shapedRequests(root.fork(0));
      const differences: string[] = [];
      let compared = 0;
      let withSlots = 0;
      // One request at a time: the fuzzer's requests reach megabytes, 41 200 of them do not fit at once.
      for (let i = 0; i < shaped.length + CASES; i++) {
        const request = shaped[i] ?? randomCheckRequest(root.fork(i - shaped.length + 1));
        const t = translated(request);
        if (!t) continue;
        if (i % 2 === 1) t.meshward = meshward(root.fork(1_000_000 + i));
        const expected = previousBytes(t.object);
        if (rawJsonSlots(t.object).length > 0) withSlots++;
        const direct = written((w) => t.write(w), i % 7); // also from an offset, as in Wasm memory
        const generic = written((w) => w.value(t.object, rawTextsOf(rawJsonSlots(t.object))));
        compared++;
        if (!Buffer.from(expected).equals(direct) && differences.length < 5)
          differences.push(`request ${i} (write): ${firstDifference(expected, direct)}`);
        if (!Buffer.from(expected).equals(generic) && differences.length < 5)
          differences.push(`request ${i} (value): ${firstDifference(expected, generic)}`);
      }
      expect(differences).toEqual([]);
      expect(compared).toBeGreaterThan(CASES / 2);
      expect(withSlots).toBeGreaterThan(0);
    },
    Math.max(60_000, CASES * 60),
  );

  it("writes the JSON.stringify forms of every value kind", () => {
    const values: unknown[] = [
      { a: undefined, b: () => 1, c: Symbol("s"), d: null, e: [undefined, () => 1, Symbol("t")] },
      [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -0, 1e21, 1e-7, 123.456, 2 ** 53 + 2],
      { toJSON: (key: string) => `key:${key}` },
      { nested: { toJSON: (key: string) => ({ k: key }) } },
      [new Date(0), new String("boxed"), new Number(4), new Boolean(false)],
      Object.assign(Object.create(null), { "3": 3, z: 1, "1": 1 }),
      "\ud800\udc00\udc00\ud800 \u0000 \u001f \u007f",
      true,
    ];
    for (const value of values) {
      const bytes = written((w) => {
        w.value(value);
      });
      expect(Buffer.from(bytes).toString("utf8")).toBe(JSON.stringify(value));
      expect(Buffer.from(bytes).equals(encoder.encode(JSON.stringify(value)))).toBe(true);
    }
    expect(() => written((w) => w.value({ n: 1n }))).toThrow(TypeError);
  });
});

describe("evaluation with the input in the policy's memory", () => {
  it("answers what the SDK's evaluate answers for the same input", async () => {
    const { createEvaluator } = await import("../../authz-server/src/policy/evaluator.ts");
    const { parseBundle } = await import("../../authz-server/src/policy/bundle.ts");
    const { unpackBundleArchive } = await import("../../authz-server/src/policy/unpack.ts");
    const { readFileSync } = await import("node:fs");
    const { repoRoot } = await import("../../scripts/lib/tools.ts");
    const bundle = parseBundle(await unpackBundleArchive(readFileSync(`${repoRoot}/build/policy/default.tar.gz`)));
    const evaluator = await createEvaluator(bundle);
    const freshSdk = async () => {
      const policy = await loadPolicy(bundle.wasm);
      policy.setData(bundle.data);
      return policy;
    };
    let sdk = await freshSdk();
    const root = new Random(7);
    let allowed = 0;
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const request = randomCheckRequest(root.fork(i));
      const http = request.attributes?.request?.http;
      if (http && i % 3 === 0) {
        http.method = "GET";
        http.path = `/public/${percentEncoded(nasty(root, 5))}`;
      }
      const t = translated(request);
      if (!t) continue;
      let theirs: unknown;
      try {
        theirs = (sdk.evaluate(new Uint8Array(previousBytes(t.object)).buffer, "envoy/authz/allow") as Answer)[0]
          ?.result;
      } catch (err) {
        // OPA's Wasm JSON parser refuses some texts (a lone surrogate's escape): so must ours.
        const reason = String((err as { message?: string }).message ?? err).replace(/^opa_abort: /, "");
        expect(() => evaluator.evaluateWritten((w) => t.write(w), "envoy/authz/allow")).toThrow(
          `policy evaluation failed: ${reason}`,
        );
        refused++;
        sdk = await freshSdk(); // an aborted instance is not reused (evaluator.ts)
        continue;
      }
      const ours = evaluator.evaluateWritten((w) => t.write(w), "envoy/authz/allow");
      expect(ours).toEqual(theirs);
      if (ours === true) allowed++;
    }
    expect(allowed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

type Answer = { result?: unknown }[];
