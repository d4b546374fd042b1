// A route may name any entrypoint through context_extensions; names that are members of
// Object.prototype (`__proto__`, `constructor`, `toString`, ...) are names like any other: absent
// from the bundle, so the check is denied as MW_POLICY_ENTRYPOINT, never evaluated.
import { beforeAll, describe, expect, it } from "vitest";
import { checkServiceOptions } from "../../authz-server/src/app/check-options.ts";
import { CheckService } from "../../authz-server/src/check/check-service.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { ActivePolicy } from "../../authz-server/src/policy/active-policy.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { fixture } from "../authz/helpers/fixtures.ts";
import { buildBundle, readBundle } from "../authz/helpers/opa-bundle.ts";

let service: CheckService;
let policy: ActivePolicy;

beforeAll(async () => {
  policy = new ActivePolicy();
  const path = buildBundle("policy/testdata/opa-envoy", { entrypoints: ["envoy/authz/allow", "envoy/authz/admin"] });
  await policy.activateFromBytes(readBundle(path), path);
  service = new CheckService(checkServiceOptions(defaultConfig(repoRoot)), { policy });
});

describe("entrypoint names that are Object.prototype members", () => {
  for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"]) {
    it(`denies ${name} as MW_POLICY_ENTRYPOINT`, async () => {
      const request = fixture("admin-route");
      if (request.attributes) request.attributes.contextExtensions.meshward_entrypoint = name;
      const { record } = await service.check(request);
      expect(record.allowed).toBe(false);
      expect(record.errorCode).toBe("MW_POLICY_ENTRYPOINT");
      expect(policy.evaluator?.hasEntrypoint(name)).toBe(false);
    });
  }

  it("still evaluates the bundle's own entrypoints", async () => {
    expect((await service.check(fixture("admin-route"))).record.allowed).toBe(true);
    expect([...(policy.evaluator?.entrypoints ?? [])].sort()).toEqual(["envoy/authz/admin", "envoy/authz/allow"]);
  });
});
