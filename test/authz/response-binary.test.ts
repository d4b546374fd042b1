// The direct CheckResponse encoder must write exactly what protobuf-es writes for the message
// response.ts builds, for every decision shape: checked byte for byte on fixed and seeded random
// decisions, and decoded back.
import { fromBinary, type JsonObject, type JsonValue, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CheckResponseSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { type Decision, emptyDecision, type HeaderPair } from "../../authz-server/src/translate/decision.ts";
import { errorDecision, toCheckResponse } from "../../authz-server/src/translate/response.ts";
import { encodeCheckResponse } from "../../authz-server/src/translate/response-binary.ts";
import { Random } from "../reliability/random.ts";

function reference(decision: Decision, id: string): Uint8Array {
  return toBinary(CheckResponseSchema, toCheckResponse(decision, id));
}

function expectSame(decision: Decision, id = "5b0e2a1c-7d4f-4e1a-9c3b-2f6d8e0a1b2c"): void {
  const mine = encodeCheckResponse(decision, id);
  expect(Buffer.from(mine).toString("hex")).toBe(Buffer.from(reference(decision, id)).toString("hex"));
  expect(fromBinary(CheckResponseSchema, mine)).toEqual(toCheckResponse(decision, id));
}

describe("encodeCheckResponse", () => {
  it("writes the bare allow and the bare deny as protobuf-es does", () => {
    expectSame(emptyDecision(true));
    expectSame(emptyDecision(false));
    expectSame({ ...emptyDecision(false), httpStatus: 401, body: "no\n" });
    expectSame(errorDecision("MW_POLICY_EVAL", 403));
  });

  it("writes every OkHttpResponse field, empty strings and non-ASCII included", () => {
    expectSame({
      ...emptyDecision(true),
      headers: [
        ["x-user", "alice"],
        ["x-empty", ""],
        ["x-utf8", "zoë ✓ 𝄞"],
      ],
      requestHeadersToRemove: ["x-internal", ""],
      responseHeadersToAdd: [["x-policy", "people"]],
      queryParametersToSet: [
        ["via", "opa"],
        ["", "v"],
      ],
      queryParametersToRemove: ["debug"],
    });
  });

  it("writes dynamic metadata of every JSON type in key order, a policy's decision_id replaced in place", () => {
    const metadata: JsonObject = {
      b: 1.5,
      a: "s",
      "2": true,
      "1": null,
      nested: { list: [1, "x", false, null, { deep: [] }], empty: {} },
      decision_id: "from-policy",
      z: -0,
      big: 1e300,
      neg: -42,
    };
    expectSame({ ...emptyDecision(true), dynamicMetadata: metadata });
    expectSame({ ...emptyDecision(false), dynamicMetadata: { reason: "MW_DEADLINE" } });
  });

  it("handles strings and bodies longer than one length byte", () => {
    const long = "é".repeat(300);
    expectSame({ ...emptyDecision(false), httpStatus: 429, body: long, headers: [["x-long", "v".repeat(200)]] });
    expectSame({ ...emptyDecision(true), dynamicMetadata: { long: "x".repeat(70_000) } });
  });

  it("matches protobuf-es on 2000 seeded random decisions", () => {
    const rand = new Random(0x5eed);
    const text = () => rand.text("abcXYZ-_ é✓\u0000\n", rand.int(0, rand.chance(0.1) ? 200 : 12));
    const pairs = (): HeaderPair[] => Array.from({ length: rand.int(0, 3) }, () => [text(), text()] as const);
    const json = (depth: number): JsonValue => {
      switch (rand.int(0, depth > 2 ? 3 : 5)) {
        case 0:
          return null;
        case 1:
          return rand.chance(0.5) ? rand.int(-1000, 1000) : rand.int(0, 1e6) / 7;
        case 2:
          return text();
        case 3:
          return rand.chance(0.5);
        case 4:
          return Array.from({ length: rand.int(0, 3) }, () => json(depth + 1));
        default:
          return Object.fromEntries(Array.from({ length: rand.int(0, 3) }, () => [text(), json(depth + 1)]));
      }
    };
    for (let i = 0; i < 2000; i++) {
      const decision: Decision = {
        allowed: rand.chance(0.5),
        headers: pairs(),
        requestHeadersToRemove: Array.from({ length: rand.int(0, 2) }, text),
        responseHeadersToAdd: pairs(),
        queryParametersToSet: pairs(),
        queryParametersToRemove: Array.from({ length: rand.int(0, 2) }, text),
      };
      if (rand.chance(0.5)) decision.httpStatus = rand.int(100, 599);
      if (rand.chance(0.5)) decision.body = text();
      if (rand.chance(0.7)) decision.dynamicMetadata = json(3) as JsonObject;
      if (
        decision.dynamicMetadata === null ||
        typeof decision.dynamicMetadata !== "object" ||
        Array.isArray(decision.dynamicMetadata)
      )
        decision.dynamicMetadata = { v: decision.dynamicMetadata ?? null };
      expectSame(decision, text());
    }
  });
});
