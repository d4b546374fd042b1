// The admission rule itself (authz-server/src/transport/admission.ts), pure: caps, and the fairness
// reserve that keeps the last quarter of the check slots for callers holding little.
import { describe, expect, it } from "vitest";
import { Admission } from "../../authz-server/src/transport/admission.ts";

const limits = { maxChecks: 16, maxBytes: 1 << 20, largeCheckBytes: 64 * 1024, largeConcurrency: 1 };

/** Admits checks of 1 byte for `caller` until refused; returns how many were admitted. */
function fill(admission: Admission, caller: unknown): number {
  let n = 0;
  while (n < 1000 && admission.tryAdmit(1, caller)) n++;
  return n;
}

describe("Admission fairness", () => {
  it("stops one caller at three quarters of the cap and keeps the rest for others", () => {
    const admission = new Admission(limits);
    expect(fill(admission, "flood")).toBe(12);
    // A newcomer is admitted while it holds less than half of what is free: 4 free → 2 of them.
    expect(fill(admission, "honest")).toBe(2);
    // Another still gets the one slot it needs, until the cap.
    expect(fill(admission, "third")).toBe(1);
    expect(fill(admission, "fourth")).toBe(1);
    expect(admission.checksInFlight).toBe(16);
    expect(fill(admission, "fifth")).toBe(0);
  });

  it("gives slots back on release, per caller", () => {
    const admission = new Admission(limits);
    fill(admission, "flood");
    for (let i = 0; i < 12; i++) admission.release(1, "flood");
    expect(admission.checksInFlight).toBe(0);
    expect(admission.bytesInFlight).toBe(0);
    expect(fill(admission, "other")).toBe(12);
  });

  it("lets many callers use the whole cap between them", () => {
    const admission = new Admission(limits);
    let admitted = 0;
    for (let caller = 0; caller < 32; caller++) admitted += admission.tryAdmit(1, caller) ? 1 : 0;
    expect(admitted).toBe(16);
  });

  it("still caps bytes, large checks at three quarters of them", () => {
    const admission = new Admission({ ...limits, maxBytes: 400 * 1024 });
    const large = 100 * 1024;
    expect([1, 2, 3, 4].map((c) => admission.tryAdmit(large, c))).toEqual([true, true, true, false]);
    expect(admission.tryAdmit(60 * 1024, 5)).toBe(true);
  });
});
