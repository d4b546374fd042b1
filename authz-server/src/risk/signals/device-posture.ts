// Signal 9 — IoT device posture, from attestation headers a device gateway sets after checking the
// device: its firmware version and its device certificate.
//
// Applies when the route's context_extensions set `meshward.device_posture` to `required`, or the
// request carries the firmware header. Checks and contributions (points):
//  - firmware (`firmwareHeader`, default x-device-firmware) older than `minFirmware` (dotted numbers,
//    an optional leading "v"; compared part by part, missing parts = 0) or unparseable → `firmwareWeight` (40);
//  - certificate (`certHeader`, default x-device-certificate: a URL-encoded PEM, like the `Cert=`
//    field of x-forwarded-client-cert) missing → `certMissingWeight` (50); not parseable, outside its
//    validity period at `now`, or (when `trustedCaPem` is set) not issued by that CA →
//    `certInvalidWeight` (70). Parsed certificates are cached (at most 256) by header value.
import { X509Certificate } from "node:crypto";
import { addReason, type Signal } from "./signal.ts";

export interface DevicePostureConfig {
  firmwareHeader: string;
  certHeader: string;
  minFirmware: string;
  firmwareWeight: number;
  certMissingWeight: number;
  certInvalidWeight: number;
  trustedCaPem: string;
}

export const DEVICE_POSTURE_DEFAULTS: DevicePostureConfig = {
  firmwareHeader: "x-device-firmware",
  certHeader: "x-device-certificate",
  minFirmware: "0",
  firmwareWeight: 40,
  certMissingWeight: 50,
  certInvalidWeight: 70,
  trustedCaPem: "",
};

/** Parses `v1.2.3` into [1, 2, 3]; null when a part is not a plain number. */
export function parseVersion(text: string): number[] | null {
  const body = text.trim().replace(/^v/i, "");
  if (!/^\d+(\.\d+)*$/.test(body)) return null;
  return body.split(".").map(Number);
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

interface CertFacts {
  error?: string;
  validFromMs: number;
  validToMs: number;
  trusted: boolean;
}

const CACHE_LIMIT = 256;

export function createDevicePosture(config: DevicePostureConfig): Signal {
  const minimum = parseVersion(config.minFirmware);
  if (minimum === null) throw new Error(`devicePosture.minFirmware: not a version: ${config.minFirmware}`);
  const ca = config.trustedCaPem ? new X509Certificate(config.trustedCaPem) : null;
  const cache = new Map<string, CertFacts>();
  const inspect = (headerValue: string): CertFacts => {
    const cached = cache.get(headerValue);
    if (cached !== undefined) return cached;
    let facts: CertFacts;
    try {
      const cert = new X509Certificate(decodeURIComponent(headerValue));
      const trusted = ca === null || (cert.checkIssued(ca) && cert.verify(ca.publicKey));
      facts = { validFromMs: Date.parse(cert.validFrom), validToMs: Date.parse(cert.validTo), trusted };
    } catch (err) {
      facts = { error: (err as Error).message, validFromMs: 0, validToMs: 0, trusted: false };
    }
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(headerValue, facts);
    return facts;
  };
  return ({ ctx, nowMs }, out) => {
    const firmware = ctx.headers[config.firmwareHeader];
    const required = ctx.contextExtensions?.["meshward.device_posture"] === "required";
    if (!required && firmware === undefined) return;
    const version = firmware === undefined ? null : parseVersion(firmware);
    if (version === null) {
      addReason(
        out,
        "device-firmware",
        config.firmwareWeight,
        1,
        firmware === undefined ? "no firmware attestation" : `unparseable firmware version ${JSON.stringify(firmware)}`,
      );
    } else if (compareVersions(version, minimum) < 0) {
      addReason(
        out,
        "device-firmware",
        config.firmwareWeight,
        1,
        `firmware ${firmware} is older than ${config.minFirmware}`,
      );
    }
    const certText = ctx.headers[config.certHeader];
    if (certText === undefined || certText === "") {
      addReason(out, "device-certificate", config.certMissingWeight, 1, "no device certificate");
      return;
    }
    const facts = inspect(certText);
    let problem: string | null = null;
    if (facts.error !== undefined) problem = `unreadable device certificate: ${facts.error}`;
    else if (!(nowMs >= facts.validFromMs && nowMs <= facts.validToMs))
      problem = "device certificate outside its validity period";
    else if (!facts.trusted) problem = "device certificate not issued by the trusted CA";
    if (problem !== null) addReason(out, "device-certificate", config.certInvalidWeight, 1, problem);
  };
}
