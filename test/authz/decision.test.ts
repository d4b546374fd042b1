// The policy result read field by field as opa-envoy-plugin reads it: which fields count on an
// allow and which on a deny, and what a field of the wrong type does (the whole result is an error).
import { describe, expect, it } from "vitest";
import { MeshwardError } from "../../authz-server/src/errors.ts";
import { toDecision } from "../../authz-server/src/translate/decision.ts";

function policyResultError(result: unknown): string {
  try {
    toDecision(result);
  } catch (err) {
    expect(err).toBeInstanceOf(MeshwardError);
    return (err as MeshwardError).code;
  }
  throw new Error(`expected ${JSON.stringify(result)} to be refused`);
}

describe("toDecision: fields read on an allow", () => {
  it("ignores the deny-only fields, whatever their type", () => {
    for (const extra of [{ http_status: 999 }, { body: 5 }, { http_status: "x", body: ["a"] }]) {
      const decision = toDecision({ allowed: true, ...extra });
      expect(decision.allowed).toBe(true);
      expect(decision.httpStatus).toBeUndefined();
      expect(decision.body).toBeUndefined();
    }
  });

  it("reads headers, removals, response headers and query edits, refusing wrong types", () => {
    const decision = toDecision({
      allowed: true,
      headers: [{ "x-a": "1" }, { "x-b": ["2", "3"] }],
      request_headers_to_remove: ["x-c"],
      response_headers_to_add: { "x-d": "4" },
      query_parameters_to_set: { q: ["1", "2"] },
      query_parameters_to_remove: ["debug"],
      dynamic_metadata: { k: 1 },
    });
    expect(decision.headers).toEqual([
      ["x-a", "1"],
      ["x-b", "2"],
      ["x-b", "3"],
    ]);
    expect(decision.requestHeadersToRemove).toEqual(["x-c"]);
    expect(decision.responseHeadersToAdd).toEqual([["x-d", "4"]]);
    expect(decision.queryParametersToSet).toEqual([
      ["q", "1"],
      ["q", "2"],
    ]);
    expect(decision.queryParametersToRemove).toEqual(["debug"]);
    expect(decision.dynamicMetadata).toEqual({ k: 1 });
    for (const bad of [
      { request_headers_to_remove: "x" },
      { request_headers_to_remove: [1] },
      { response_headers_to_add: "x" },
      { query_parameters_to_set: 5 },
      { query_parameters_to_set: { a: 1 } },
      { query_parameters_to_remove: [null] },
      { headers: { "x-a": 1 } },
      { headers: null },
      { dynamic_metadata: [] },
    ]) {
      expect(policyResultError({ allowed: true, ...bad })).toBe("MW_POLICY_RESULT");
    }
  });
});

describe("toDecision: fields read on a deny", () => {
  it("keeps the policy's status, headers and body and ignores the allow-only fields", () => {
    const decision = toDecision({
      allowed: false,
      http_status: 401,
      body: "login",
      headers: { "www-authenticate": "Bearer" },
      request_headers_to_remove: "x",
      query_parameters_to_set: 5,
      response_headers_to_add: 7,
      query_parameters_to_remove: {},
    });
    expect(decision).toMatchObject({ allowed: false, httpStatus: 401, body: "login" });
    expect(decision.headers).toEqual([["www-authenticate", "Bearer"]]);
    expect(decision.requestHeadersToRemove).toEqual([]);
    expect(decision.queryParametersToSet).toEqual([]);
  });

  it("refuses a status that Go or Envoy does not know, a non-integer status and a non-string body", () => {
    for (const status of [999, 0, -1, 101, 418, 451, 401.5, "401", null]) {
      expect(policyResultError({ allowed: false, http_status: status })).toBe("MW_POLICY_RESULT");
    }
    expect(policyResultError({ allowed: false, body: 5 })).toBe("MW_POLICY_RESULT");
    expect(policyResultError({ allowed: false, headers: "x" })).toBe("MW_POLICY_RESULT");
    expect(policyResultError({ allowed: false, dynamic_metadata: "x" })).toBe("MW_POLICY_RESULT");
  });
});

describe("toDecision: the result itself", () => {
  it("takes a boolean, or an object whose `allowed` is a boolean", () => {
    expect(toDecision(true).allowed).toBe(true);
    expect(toDecision(false).allowed).toBe(false);
    for (const bad of [null, 1, "true", [], {}, { allowed: "true" }, { allowed: null }]) {
      expect(policyResultError(bad)).toBe("MW_POLICY_RESULT");
    }
  });

  it("refuses header names and values that would inject, on an allow and on a deny", () => {
    for (const allowed of [true, false]) {
      expect(policyResultError({ allowed, headers: { "x-a": "v\r\nx-b: 1" } })).toBe("MW_POLICY_RESULT");
      expect(policyResultError({ allowed, headers: { "bad name": "v" } })).toBe("MW_POLICY_RESULT");
    }
    expect(policyResultError({ allowed: true, response_headers_to_add: { "x-a": "v\n" } })).toBe("MW_POLICY_RESULT");
    expect(policyResultError({ allowed: true, request_headers_to_remove: ["a b"] })).toBe("MW_POLICY_RESULT");
  });
});
