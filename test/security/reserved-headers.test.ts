// Regression: only x-meshward-subject/-risk-score/-risk-level were protected, and only when identity
// or risk was configured; a client's x-meshward-route, -action, -policy, -entrypoint, -decision-id
// reached the upstream. Now every allow removes every reserved header Meshward did not set, in both
// ext_authz modes, with no enricher configured. (Through real Envoy: test/security/edge.e2e.test.ts.)
import { create } from "@bufbuild/protobuf";
import { beforeAll, describe, expect, it } from "vitest";
import { checkServiceOptions } from "../../authz-server/src/app/check-options.ts";
import { CheckService } from "../../authz-server/src/check/check-service.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { RESERVED_HEADERS } from "../../authz-server/src/contract/headers.ts";
import { CheckRequestSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { ActivePolicy } from "../../authz-server/src/policy/active-policy.ts";
import { HEADERS_TO_REMOVE, toHttpReply } from "../../authz-server/src/transport/http-check.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { buildBundle, readBundle } from "../authz/helpers/opa-bundle.ts";
import { okOf } from "../authz/helpers/responses.ts";

const FORGED = {
  "x-meshward-subject": "admin",
  "x-meshward-risk-level": "low",
  "x-meshward-route": "admin",
  "x-meshward-action": "allow",
  "x-meshward-policy": "none",
  "x-meshward-entrypoint": "envoy/authz/allow",
  "x-meshward-decision-id": "forged",
  "X-Meshward-Made-Up": "yes",
};

let service: CheckService;

beforeAll(async () => {
  const policy = new ActivePolicy();
  await policy.activateFromBytes(
    readBundle(buildBundle("policy/default", { entrypoints: ["envoy/authz/allow"] })),
    "default",
  );
  // No identity, no risk engine: nothing "owns" a header, the contract still applies.
  service = new CheckService(checkServiceOptions(defaultConfig(repoRoot)), { policy });
});

describe("reserved x-meshward-* headers", () => {
  it("are all removed on an allow when the client sends them", async () => {
    const { response, record } = await service.check(
      create(CheckRequestSchema, {
        attributes: { request: { http: { method: "GET", path: "/public/x", headers: { ...FORGED } } } },
      }),
    );
    expect(record.allowed).toBe(true);
    const removed = okOf(response).headersToRemove;
    for (const name of Object.keys(FORGED)) expect(removed).toContain(name.toLowerCase());
    expect(removed).toEqual(expect.arrayContaining([...RESERVED_HEADERS]));
    const http = toHttpReply(response, record.decisionId);
    const header = http.headers.find(([name]) => name === HEADERS_TO_REMOVE)?.[1] ?? "";
    for (const name of Object.keys(FORGED)) expect(header.split(",")).toContain(name.toLowerCase());
  });

  it("removes the known ones even when the check request does not show them", async () => {
    const { response } = await service.check(
      create(CheckRequestSchema, { attributes: { request: { http: { method: "GET", path: "/public/x" } } } }),
    );
    expect(okOf(response).headersToRemove).toEqual(expect.arrayContaining([...RESERVED_HEADERS]));
  });
});
