// Decision → CheckResponse (translate/response.ts), as opa-envoy-plugin's envoyauth builds it, on
// a table of decisions with the ext_authz v3 message each must become, in its protobuf JSON form
// (what Envoy's own JSON view of the message shows). The binary encoder is checked against this
// builder (response-binary.test.ts), so this table is what pins both to the protocol.
import { type JsonObject, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CheckResponseSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { type Decision, emptyDecision } from "../../authz-server/src/translate/decision.ts";
import { errorDecision, REASON_HEADER, toCheckResponse } from "../../authz-server/src/translate/response.ts";

const ID = "7c1e9a40-3b2d-4f6e-8a15-0d9c2b7e4f31";

const header = (key: string, value: string) => ({ header: { key, value } });

const CASES: [name: string, decision: Decision, expected: JsonObject][] = [
  [
    "a bare allow: status OK, an empty OkHttpResponse, the decision id in the metadata",
    emptyDecision(true),
    { status: {}, okResponse: {}, dynamicMetadata: { decision_id: ID } },
  ],
  [
    "a bare deny: PERMISSION_DENIED (7), HTTP 403, empty body",
    emptyDecision(false),
    { status: { code: 7 }, deniedResponse: { status: { code: "Forbidden" } }, dynamicMetadata: { decision_id: ID } },
  ],
  [
    "an allow with every OkHttpResponse field, in the decision's order",
    {
      ...emptyDecision(true),
      headers: [
        ["x-user", "alice"],
        ["x-tenant", "acme"],
      ],
      requestHeadersToRemove: ["x-internal"],
      responseHeadersToAdd: [["x-policy", "people"]],
      queryParametersToSet: [["page", "2"]],
      queryParametersToRemove: ["debug"],
      dynamicMetadata: { user: "alice" },
    },
    {
      status: {},
      okResponse: {
        headers: [header("x-user", "alice"), header("x-tenant", "acme")],
        headersToRemove: ["x-internal"],
        responseHeadersToAdd: [header("x-policy", "people")],
        queryParametersToSet: [{ key: "page", value: "2" }],
        queryParametersToRemove: ["debug"],
      },
      dynamicMetadata: { user: "alice", decision_id: ID },
    },
  ],
  [
    "a deny with the policy's status, headers and body",
    { ...emptyDecision(false), httpStatus: 401, headers: [["www-authenticate", "Bearer"]], body: "login\n" },
    {
      status: { code: 7 },
      deniedResponse: {
        status: { code: "Unauthorized" },
        headers: [header("www-authenticate", "Bearer")],
        body: "login\n",
      },
      dynamicMetadata: { decision_id: ID },
    },
  ],
  [
    "Meshward's own failure: the coded reason in a header, the body and the metadata",
    errorDecision("MW_POLICY_EVAL", 503),
    {
      status: { code: 7 },
      deniedResponse: {
        status: { code: "ServiceUnavailable" },
        headers: [header(REASON_HEADER, "MW_POLICY_EVAL")],
        body: "MW_POLICY_EVAL\n",
      },
      dynamicMetadata: { reason: "MW_POLICY_EVAL", decision_id: ID },
    },
  ],
  [
    "a policy's own decision_id does not replace Meshward's",
    { ...emptyDecision(true), dynamicMetadata: { decision_id: "forged" } },
    { status: {}, okResponse: {}, dynamicMetadata: { decision_id: ID } },
  ],
];

describe("toCheckResponse", () => {
  it.each(CASES)("%s", (_name, decision, expected) => {
    expect(toJson(CheckResponseSchema, toCheckResponse(decision, ID))).toEqual(expected);
  });

  it("does not change the decision it reads", () => {
    const decision: Decision = { ...emptyDecision(true), dynamicMetadata: { user: "alice" } };
    toCheckResponse(decision, ID);
    expect(decision.dynamicMetadata).toEqual({ user: "alice" });
  });
});
