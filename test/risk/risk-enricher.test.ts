// The risk enricher's contract with the check: input.meshward.risk reaches the policy, the risk
// headers go upstream on allow, risk metadata goes to Envoy, outcomes flow back. The engine itself
// lives in authz-server/src/risk/ (tested there); here a recording stand-in of its two methods.
import { beforeAll, describe, expect, it } from "vitest";
import { checkServiceOptions } from "../../authz-server/src/app/check-options.ts";
import { CheckService } from "../../authz-server/src/check/check-service.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { IdentityEnricher } from "../../authz-server/src/identity/identity-enricher.ts";
import { ActivePolicy } from "../../authz-server/src/policy/active-policy.ts";
import { type RiskAssessor, RiskEnricher } from "../../authz-server/src/risk/risk-enricher.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { fixture } from "../authz/helpers/fixtures.ts";
import { buildBundle, readBundle } from "../authz/helpers/opa-bundle.ts";
import { headerPairsOf, okOf } from "../authz/helpers/responses.ts";

let policy: ActivePolicy;
beforeAll(async () => {
  policy = new ActivePolicy();
  const path = buildBundle("policy/testdata/opa-envoy", { entrypoints: ["envoy/authz/allow"] });
  await policy.activateFromBytes(readBundle(path), path);
});

function recordingEngine(score: number, level: string) {
  const seen: { contexts: unknown[]; outcomes: unknown[] } = { contexts: [], outcomes: [] };
  const engine: RiskAssessor = {
    assess: async (context) => {
      seen.contexts.push(context);
      return { score, level, reasons: [{ signal: "test", contribution: score, detail: "fixed" }] };
    },
    recordOutcome: async (outcome) => {
      seen.outcomes.push(outcome);
    },
  };
  return { engine, seen };
}

/** The server's composition: identity, then risk, which hears the outcome of each check it scored. */
function serviceWith(engine: RiskAssessor): CheckService {
  const risk = new RiskEnricher(engine, () => 0);
  return new CheckService(checkServiceOptions(defaultConfig(repoRoot)), {
    policy,
    enrichers: [new IdentityEnricher({ spiffe: true }), risk],
  });
}

describe("RiskEnricher", () => {
  it("gives the engine the identity and request, and the policy input.meshward.risk", async () => {
    const { engine, seen } = recordingEngine(42, "medium");
    const service = serviceWith(engine);
    const { record, response } = await service.check(fixture("get-people-alice"));
    expect(record.allowed).toBe(true);
    expect(seen.contexts[0]).toMatchObject({
      identity: { subject: "spiffe://cluster.local/ns/prod/sa/web", authenticated: true },
      sourceIp: "10.0.0.7",
      method: "GET",
      path: "/people/alice",
      contextExtensions: { virtual_host: "people" },
    });
    expect(record.input?.meshward).toMatchObject({ risk: { score: 42, level: "medium" } });
    expect(headerPairsOf(okOf(response).headers)).toEqual(
      expect.arrayContaining([
        ["x-meshward-risk-score", "42"],
        ["x-meshward-risk-level", "medium"],
      ]),
    );
    expect(response.dynamicMetadata).toMatchObject({ risk_score: 42, risk_level: "medium", user: "alice" });
    expect(seen.outcomes).toEqual([]);
  });

  it("reports policy denials back to the engine", async () => {
    const { engine, seen } = recordingEngine(90, "critical");
    const service = serviceWith(engine);
    const request = fixture("get-people-alice");
    if (request.attributes?.request?.http) request.attributes.request.http.path = "/people/bob";
    const { record } = await service.check(request);
    expect(record.allowed).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(seen.outcomes).toEqual([
      { kind: "denied", principal: "spiffe://cluster.local/ns/prod/sa/web", sourceIp: "10.0.0.7" },
    ]);
  });
});
