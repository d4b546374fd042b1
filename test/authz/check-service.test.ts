// CheckService end to end in-process, with opa-envoy-style test policies built by the real OPA CLI.
import { beforeAll, describe, expect, it } from "vitest";
import { checkServiceOptions } from "../../authz-server/src/app/check-options.ts";
import { CheckService, type CheckServiceOptions } from "../../authz-server/src/check/check-service.ts";
import type { InputEnricher } from "../../authz-server/src/check/enricher.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { RESERVED_HEADERS } from "../../authz-server/src/contract/headers.ts";
import { ActivePolicy } from "../../authz-server/src/policy/active-policy.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { fixture } from "./helpers/fixtures.ts";
import { buildBundle, readBundle } from "./helpers/opa-bundle.ts";
import { deniedOf, headerPairsOf, okOf } from "./helpers/responses.ts";

const OPTIONS: CheckServiceOptions = checkServiceOptions(defaultConfig(repoRoot));

let policy: ActivePolicy;

beforeAll(async () => {
  policy = new ActivePolicy({ nowMs: () => Date.parse("2026-11-28T00:00:00Z") });
  const path = buildBundle("policy/testdata/opa-envoy", { entrypoints: ["envoy/authz/allow", "envoy/authz/admin"] });
  await policy.activateFromBytes(readBundle(path), path);
});

const service = (options: Partial<CheckServiceOptions> = {}, enrichers: InputEnricher[] = []) =>
  new CheckService({ ...OPTIONS, ...options }, { policy, enrichers, newDecisionId: () => "d-1" });

describe("CheckService with an opa-envoy-plugin style policy", () => {
  it("maps every allow field of the result object onto the OkHttpResponse", async () => {
    const { response, record } = await service().check(fixture("get-people-alice"));
    expect(record.allowed).toBe(true);
    expect(response.status?.code).toBe(0);
    expect(response.httpResponse.case).toBe("okResponse");
    const ok = okOf(response);
    expect(headerPairsOf(ok.headers)).toEqual([
      ["x-user", "alice"],
      ["x-tags", "a"],
      ["x-tags", "b"],
    ]);
    // The policy's removal, then every reserved x-meshward-* header nobody set on this allow.
    expect(ok.headersToRemove).toEqual(["x-internal", ...RESERVED_HEADERS]);
    expect(headerPairsOf(ok.responseHeadersToAdd)).toEqual([["x-policy", "people"]]);
    expect(ok.queryParametersToSet.map((q) => [q.key, q.value])).toEqual([["via", "opa"]]);
    expect(ok.queryParametersToRemove).toEqual(["debug"]);
    expect(response.dynamicMetadata).toEqual({ user: "alice", decision_id: "d-1" });
  });

  it("uses JSON bodies, and denies with the policy's status, headers and body", async () => {
    const ok = await service().check(fixture("post-orders-json"));
    expect(ok.record.allowed).toBe(true);
    const truncated = await service().check(fixture("post-orders-truncated"));
    expect(truncated.response.status?.code).toBe(7);
    const denied = deniedOf(truncated.response);
    expect(denied.status?.code).toBe(403);
    expect(denied.body).toBe("denied by opa-envoy style policy");
    expect(denied.headers[0]?.header).toMatchObject({ key: "x-denied-by", value: "opa-envoy-testdata" });
    expect(truncated.response.dynamicMetadata).toEqual({ denied_by: "opa-envoy-testdata", decision_id: "d-1" });
  });

  it("selects the entrypoint a route names through context_extensions", async () => {
    const admin = await service().check(fixture("admin-route"));
    expect(admin.record.entrypoint).toBe("envoy/authz/admin");
    expect(admin.record.allowed).toBe(true);
  });

  it("denies with a coded reason when the named entrypoint is not in the bundle", async () => {
    const request = fixture("admin-route");
    if (request.attributes) request.attributes.contextExtensions.meshward_entrypoint = "envoy/authz/nope";
    const { record, response } = await service({ errorStatus: 503 }).check(request);
    expect(record.errorCode).toBe("MW_POLICY_ENTRYPOINT");
    expect(deniedOf(response).status?.code).toBe(503);
    expect(deniedOf(response).headers[0]?.header).toMatchObject({
      key: "x-meshward-reason",
      value: "MW_POLICY_ENTRYPOINT",
    });
  });

  it("refuses policy headers carrying CR/LF (no header injection)", async () => {
    const { record } = await service().check(fixture("echo-crlf"));
    expect(record.allowed).toBe(false);
    expect(record.errorCode).toBe("MW_POLICY_RESULT");
    expect(record.errorMessage).toMatch(/x-echo/);
  });

  it("makes a failing builtin's expression undefined, as OPA does: the policy's default deny applies", async () => {
    const request = fixture("get-people-alice");
    const headers = request.attributes?.request?.http?.headers;
    if (headers) headers.authorization = "Bearer not-a-jwt";
    const { record, response } = await service().check(request);
    expect(record.errorCode).toBeUndefined();
    expect(record.allowed).toBe(false);
    expect(deniedOf(response).headers[0]?.header).toMatchObject({ key: "x-denied-by", value: "opa-envoy-testdata" });
  });

  it("denies an unparseable request with MW_REQUEST_PARSE and 400, as opa-envoy answers (configurable)", async () => {
    const { record, response } = await service().check(fixture("bad-escape"));
    expect(record.errorCode).toBe("MW_REQUEST_PARSE");
    expect(deniedOf(response).status?.code).toBe(400);
    const custom = await service({ requestParseErrorStatus: 403 }).check(fixture("bad-escape"));
    expect(deniedOf(custom.response).status?.code).toBe(403);
  });

  it("dry-run lets a policy deny through, keeping its dynamic metadata; failures still deny", async () => {
    const { record, response } = await service({ dryRun: true }).check(fixture("get-people-alice"));
    expect(record.allowed).toBe(true);
    const truncated = await service({ dryRun: true }).check(fixture("post-orders-truncated"));
    expect(truncated.response.status?.code).toBe(0);
    expect(okOf(truncated.response).headers).toEqual([]);
    expect(truncated.record.allowed).toBe(true);
    expect(truncated.record.decidedAllow).toBe(false);
    const request = fixture("get-people-alice");
    if (request.attributes?.request?.http) request.attributes.request.http.path = "/people/bob";
    const denied = await service({ dryRun: true }).check(request);
    expect(denied.response.status?.code).toBe(0);
    expect(denied.response.dynamicMetadata).toEqual({ denied_by: "opa-envoy-testdata", decision_id: "d-1" });
    const failed = await service({ dryRun: true }).check(fixture("bad-escape"));
    expect(failed.response.status?.code).toBe(7);
    expect(failed.record.errorCode).toBe("MW_REQUEST_PARSE");
    expect(response.status?.code).toBe(0);
  });

  it("adds enricher headers on allow only, and strips forged copies of owned headers", async () => {
    const enricher: InputEnricher = {
      name: "test",
      ownedHeaders: ["x-meshward-subject", "x-meshward-risk-score"],
      enrich: ({ meshward }) => {
        meshward.identity = { subject: "alice" };
        return { upstreamHeaders: [["x-meshward-subject", "alice"]] };
      },
    };
    const { response } = await service({}, [enricher]).check(fixture("get-people-alice"));
    const ok = okOf(response);
    expect(headerPairsOf(ok.headers)).toContainEqual(["x-meshward-subject", "alice"]);
    expect(ok.headersToRemove).toContain("x-meshward-risk-score");
    expect(ok.headersToRemove).not.toContain("x-meshward-subject"); // set by the enricher
  });

  it("honours the deadline while an enricher waits", async () => {
    const slow: InputEnricher = {
      name: "slow",
      ownedHeaders: [],
      enrich: () => new Promise((resolve) => setTimeout(() => resolve(undefined), 300)),
    };
    const { record } = await service({ checkTimeoutMs: 20 }, [slow]).check(fixture("get-people-alice"));
    expect(record.errorCode).toBe("MW_DEADLINE");
    expect(record.allowed).toBe(false);
  });

  it("denies with MW_BUNDLE_NONE before a bundle is active, with the refusal's code after one", async () => {
    const inactive = new ActivePolicy();
    const empty = new CheckService(OPTIONS, { policy: inactive });
    expect((await empty.check(fixture("get-people-alice"))).record.errorCode).toBe("MW_BUNDLE_NONE");
    await expect(inactive.activateFromBytes(new Uint8Array([1, 2, 3]), "junk")).rejects.toThrow();
    expect((await empty.check(fixture("get-people-alice"))).record.errorCode).toBe("MW_BUNDLE_INVALID");
  });
});
