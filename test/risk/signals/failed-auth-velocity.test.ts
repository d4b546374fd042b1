import { describe, expect, it } from "vitest";
import {
  createFailedAuthVelocity,
  FAILED_AUTH_DEFAULTS,
} from "../../../authz-server/src/risk/signals/failed-auth-velocity.ts";
import { input, run, snapshot } from "../fixtures.ts";

const signal = createFailedAuthVelocity(FAILED_AUTH_DEFAULTS);
const with_ = (principalFailures: number, ipFailures: number) =>
  run(signal, input({ snapshot: snapshot({ principalFailures, ipFailures }) }));

describe("failed-auth-velocity", () => {
  it("ramps from the allowance to saturation: weight × (n − a)/(s − a)", () => {
    expect(with_(2, 0)).toEqual([]); // at the allowance
    expect(with_(3, 0)[0]?.contribution).toBe(7.5); // 60 × 1/8
    expect(with_(6, 0)[0]?.contribution).toBe(30); // 60 × 4/8
    expect(with_(10, 0)[0]?.contribution).toBe(60);
    expect(with_(50, 0)[0]?.contribution).toBe(60);
  });
  it("takes the larger of the principal and IP strengths", () => {
    // principal 4 → 2/8 = 0.25; ip 17.5 → (17.5 − 5)/25 = 0.5
    expect(with_(4, 17.5)[0]?.contribution).toBe(30);
    expect(with_(0, 30)[0]?.contribution).toBe(60);
  });
  it("names both counts and windows", () => {
    expect(with_(6, 7)[0]?.detail).toBe("6 failures for the principal in 10 min, 7 from the source IP in 10 min");
  });
});
