// Short seeded robustness run (a fixed, bounded number of cases): random CheckRequests through
// translation, and random policy results through decision validation. Nothing may throw anything
// but a coded MeshwardError, and a result that is not a valid decision never allows.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { MeshwardError } from "../../authz-server/src/errors.ts";
import { CheckRequestSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { toDecision } from "../../authz-server/src/translate/decision.ts";
import { toPolicyInput } from "../../authz-server/src/translate/input.ts";

/** mulberry32: small deterministic PRNG so failures reproduce from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  "a",
  "/",
  "%",
  "2",
  "F",
  "?",
  "&",
  "=",
  ";",
  "+",
  "\r",
  "\n",
  "é",
  "{",
  '"',
  ":",
  "}",
  "0",
  " ",
  "\u0000",
];

function text(rand: () => number, max = 24): string {
  let s = "";
  const n = Math.floor(rand() * max);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

function value(rand: () => number, depth = 0): unknown {
  const r = rand();
  if (depth > 2 || r < 0.3) return text(rand, 8);
  if (r < 0.4) return Math.floor(rand() * 700) - 50;
  if (r < 0.5) return rand() < 0.5;
  if (r < 0.55) return null;
  if (r < 0.75) return Array.from({ length: Math.floor(rand() * 3) }, () => value(rand, depth + 1));
  const keys = [
    "allowed",
    "headers",
    "http_status",
    "body",
    "request_headers_to_remove",
    "query_parameters_to_set",
    "dynamic_metadata",
    text(rand, 6),
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys)
    if (rand() < 0.4) out[k] = k === "allowed" && rand() < 0.7 ? rand() < 0.5 : value(rand, depth + 1);
  return out;
}

describe("robustness (seeded)", () => {
  it("translates 2000 random requests or fails with a coded error", () => {
    const rand = prng(0x5eed);
    for (let i = 0; i < 2000; i++) {
      const contentType = [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        "text/plain",
      ][i % 4] as string;
      const request = create(CheckRequestSchema, {
        attributes: {
          request: {
            http: {
              method: "POST",
              path: `/${text(rand)}`,
              headers: { "content-type": contentType, ...(rand() < 0.2 ? { "content-length": text(rand, 3) } : {}) },
              body: text(rand, 40),
            },
          },
        },
      });
      try {
        const input = toPolicyInput(request);
        expect(Array.isArray(input.parsed_path)).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(MeshwardError);
      }
    }
  });

  it("validates 5000 random policy results: coded errors only, never an invalid allow", () => {
    const rand = prng(0xdec1de);
    for (let i = 0; i < 5000; i++) {
      const result = value(rand);
      try {
        const decision = toDecision(result);
        const allowed =
          result === true ||
          (typeof result === "object" && result !== null && (result as { allowed?: unknown }).allowed === true);
        expect(decision.allowed).toBe(allowed);
        for (const [name, v] of [...decision.headers, ...decision.responseHeadersToAdd]) {
          expect(name).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          expect(v).not.toMatch(/[\r\n\0]/);
        }
      } catch (err) {
        expect(err).toBeInstanceOf(MeshwardError);
      }
    }
  });
});
