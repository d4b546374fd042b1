import { describe, expect, it } from "vitest";
import { createTokenAssurance, TOKEN_DEFAULTS } from "../../../authz-server/src/risk/signals/token-assurance.ts";
import { context, input, run, T0 } from "../fixtures.ts";

const signal = createTokenAssurance(TOKEN_DEFAULTS);
const withClaims = (claims: Record<string, unknown>) => run(signal, input({ ctx: context({ identity: { claims } }) }));
const HOUR = 3600;

describe("token-assurance", () => {
  it("ramps token age from 1 h to 12 h: 25 × (age − 1 h)/11 h", () => {
    expect(withClaims({ iat: T0 / 1000 - HOUR, amr: ["mfa"] })).toEqual([]);
    // 6.5 h old → 5.5/11 = 0.5 → 12.5
    expect(withClaims({ iat: T0 / 1000 - 6.5 * HOUR, amr: ["mfa"] })).toEqual([
      { signal: "token-age", contribution: 12.5, detail: "token issued 390 min ago" },
    ]);
    expect(withClaims({ iat: T0 / 1000 - 48 * HOUR, amr: ["mfa"] })[0]?.contribution).toBe(25);
  });
  it("treats a missing or future iat as maximally old", () => {
    expect(withClaims({ amr: ["mfa"] })).toEqual([
      { signal: "token-age", contribution: 25, detail: "token has no numeric iat" },
    ]);
    expect(withClaims({ iat: T0 / 1000 + 61, amr: ["mfa"] })[0]?.detail).toBe("token iat is 61 s in the future");
    expect(withClaims({ iat: T0 / 1000 + 59, amr: ["mfa"] })).toEqual([]); // within clock skew
  });
  it("scores weak assurance unless acr or amr is strong", () => {
    expect(withClaims({ iat: T0 / 1000, amr: ["pwd"] })).toEqual([
      { signal: "token-assurance", contribution: 20, detail: "weak authentication (acr=none, amr=[pwd])" },
    ]);
    expect(withClaims({ iat: T0 / 1000, amr: ["pwd", "hwk"] })).toEqual([]);
    expect(withClaims({ iat: T0 / 1000, acr: "urn:meshward:acr:mfa" })).toEqual([]); // the policy's high_acr
    const s = createTokenAssurance({ ...TOKEN_DEFAULTS, strongAcr: ["urn:mace:incommon:iap:silver"] });
    expect(
      run(
        s,
        input({ ctx: context({ identity: { claims: { iat: T0 / 1000, acr: "urn:mace:incommon:iap:silver" } } }) }),
      ),
    ).toEqual([]);
  });
  it("leaves workload identities without claims alone", () => {
    expect(
      run(
        signal,
        input({ ctx: context({ identity: { subject: null, spiffe_id: "spiffe://td/ns/a/sa/b", claims: null } }) }),
      ),
    ).toEqual([]);
  });
  it("scores unauthenticated requests with unauthenticatedWeight (default 0)", () => {
    const anon = input({ ctx: context({ identity: { authenticated: false, claims: null } }) });
    expect(run(signal, anon)).toEqual([]);
    expect(run(createTokenAssurance({ ...TOKEN_DEFAULTS, unauthenticatedWeight: 15 }), anon)).toEqual([
      { signal: "unauthenticated", contribution: 15, detail: "no verified identity" },
    ]);
  });
});
