// Device posture against real X.509 certificates made by the openssl CLI: a CA, a device
// certificate it signed, and a self-signed impostor. Validity is checked against the test's clock.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  compareVersions,
  createDevicePosture,
  DEVICE_POSTURE_DEFAULTS,
  parseVersion,
} from "../../../authz-server/src/risk/signals/device-posture.ts";
import { newKey, signWithCa } from "../../authz/helpers/test-pki.ts";
import { context, input, run } from "../fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "meshward-posture-"));
const pem: Record<string, string> = {};

beforeAll(() => {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const selfSigned = (name: string) =>
    ssl("req", "-x509", ...newKey(name), "-out", `${name}.pem`, "-days", "30", "-subj", `/CN=${name}`);
  selfSigned("ca");
  selfSigned("impostor");
  ssl("req", ...newKey("device"), "-out", "device.csr", "-subj", "/CN=device-1");
  ssl(...signWithCa("device", 30));
  for (const n of ["ca", "impostor", "device"]) pem[n] = readFileSync(join(dir, `${n}.pem`), "utf8");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("firmware versions", () => {
  it("parses dotted numbers with an optional v and compares part by part", () => {
    expect(parseVersion("v1.10.2")).toEqual([1, 10, 2]);
    expect(parseVersion("1.x")).toBeNull();
    expect(compareVersions([1, 10], [1, 9, 9])).toBeGreaterThan(0);
    expect(compareVersions([2], [2, 0, 0])).toBe(0);
    expect(compareVersions([1, 2], [1, 2, 1])).toBeLessThan(0);
  });
});

describe("device-posture", () => {
  const config = () => ({ ...DEVICE_POSTURE_DEFAULTS, minFirmware: "2.4.0", trustedCaPem: pem.ca as string });
  // One day into the device certificate's 30-day validity (a clock taken before the certificate was
  // made could fall before its notBefore, which has second resolution).
  const day1 = () => Date.parse(new X509Certificate(pem.device as string).validFrom) + 86_400_000;
  const check = (headers: Record<string, string>, nowMs = day1(), ext: Record<string, string> = {}) =>
    run(createDevicePosture(config()), input({ nowMs, ctx: context({ headers, contextExtensions: ext }) }));
  const cert = (name: string) => encodeURIComponent(pem[name] as string);

  it("passes current firmware with a valid certificate from the trusted CA", () => {
    expect(check({ "x-device-firmware": "2.4.1", "x-device-certificate": cert("device") })).toEqual([]);
  });
  it("scores old or unparseable firmware (40)", () => {
    expect(check({ "x-device-firmware": "2.3.9", "x-device-certificate": cert("device") })).toEqual([
      { signal: "device-firmware", contribution: 40, detail: "firmware 2.3.9 is older than 2.4.0" },
    ]);
    expect(check({ "x-device-firmware": "latest", "x-device-certificate": cert("device") })[0]?.detail).toBe(
      'unparseable firmware version "latest"',
    );
  });
  it("scores a missing (50) or foreign, expired or garbled certificate (70)", () => {
    expect(check({ "x-device-firmware": "3" })).toEqual([
      { signal: "device-certificate", contribution: 50, detail: "no device certificate" },
    ]);
    expect(check({ "x-device-firmware": "3", "x-device-certificate": cert("impostor") })[0]?.detail).toBe(
      "device certificate not issued by the trusted CA",
    );
    expect(
      check({ "x-device-firmware": "3", "x-device-certificate": cert("device") }, day1() + 40 * 86_400_000)[0],
    ).toEqual({
      signal: "device-certificate",
      contribution: 70,
      detail: "device certificate outside its validity period",
    });
    expect(check({ "x-device-firmware": "3", "x-device-certificate": "garbage" })[0]?.detail).toMatch(
      /^unreadable device certificate/,
    );
  });
  it("applies only to device traffic or routes that require it", () => {
    expect(check({})).toEqual([]);
    const required = check({}, day1(), { "meshward.device_posture": "required" });
    expect(required.map((r) => r.contribution)).toEqual([40, 50]);
  });
});
