import { describe, expect, it } from "vitest";
import {
  createNewDevice,
  DEVICE_DEFAULTS,
  deviceFingerprint,
} from "../../../authz-server/src/risk/signals/new-device.ts";
import { context, input, run, snapshot } from "../fixtures.ts";

describe("deviceFingerprint", () => {
  const fp = (headers: Record<string, string>) => deviceFingerprint(context({ headers }), DEVICE_DEFAULTS.headers);
  it("is a stable 64-bit hex hash of the configured headers", () => {
    expect(fp({ "user-agent": "a" })).toMatch(/^[0-9a-f]{16}$/);
    expect(fp({ "user-agent": "a" })).toBe(fp({ "user-agent": "a", accept: "x" }));
    expect(fp({ "user-agent": "a" })).not.toBe(fp({ "user-agent": "b" }));
    // the separator keeps header boundaries: ("ab", "") differs from ("a", "b")
    expect(fp({ "user-agent": "ab" })).not.toBe(fp({ "user-agent": "a", "x-device-id": "b" }));
  });
  it("is null when no configured header is present", () => {
    expect(fp({ accept: "x" })).toBeNull();
  });
});

describe("new-device", () => {
  const signal = createNewDevice(DEVICE_DEFAULTS);
  it("scores an unknown client of a principal with known ones", () => {
    expect(run(signal, input({ snapshot: snapshot({ fingerprintKnown: false, knownFingerprints: 3 }) }))).toEqual([
      { signal: "new-device", contribution: 30, detail: "client not among the principal's 3 known ones (curl/8)" },
    ]);
  });
  it("is silent for a known client, no principal, or a first-ever client by default", () => {
    expect(run(signal, input({ snapshot: snapshot({ fingerprintKnown: true, knownFingerprints: 3 }) }))).toEqual([]);
    expect(run(signal, input({ principal: null, snapshot: snapshot({ knownFingerprints: 3 }) }))).toEqual([]);
    expect(run(signal, input({ snapshot: snapshot({ knownFingerprints: 0 }) }))).toEqual([]);
  });
  it("applies firstSeenStrength to a principal's first client", () => {
    const s = createNewDevice({ ...DEVICE_DEFAULTS, firstSeenStrength: 0.5 });
    expect(run(s, input())[0]?.contribution).toBe(15);
  });
});
