// Signal 5 — new device or client: a fingerprint not seen before for the principal.
//
// Fingerprint = 64-bit FNV-1a (two 32-bit lanes with different offsets) over the values of the
// configured headers (`device.headers`, default user-agent, x-device-id and the client-certificate
// header Envoy forwards, x-forwarded-client-cert), joined with a separator that cannot occur in a
// header value. It is not a secret and not an identity, only a "have we seen this client" key.
// The store keeps up to `maxPerPrincipal` fingerprints per principal (least recently seen evicted).
// strength = 1 for an unknown fingerprint when the principal has known ones; `firstSeenStrength`
// (default 0) for a principal with none yet (Okta starts new users at "high"; we leave that to config).
// contribution = `weight` (default 30) × strength. No principal or no header → no signal.
import type { RiskContext } from "../types.ts";
import { addReason, type Signal } from "./signal.ts";

export interface DeviceConfig {
  weight: number;
  headers: string[];
  firstSeenStrength: number;
  maxPerPrincipal: number;
}

export const DEVICE_DEFAULTS: DeviceConfig = {
  weight: 30,
  headers: ["user-agent", "x-device-id", "x-forwarded-client-cert"],
  firstSeenStrength: 0,
  maxPerPrincipal: 20,
};

function fnv1a(text: string, offset: number): number {
  let h = offset;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The fingerprint of the request's client, or null when none of the headers is present. */
export function deviceFingerprint(ctx: RiskContext, headers: readonly string[]): string | null {
  let text = "";
  let any = false;
  for (const name of headers) {
    const value = ctx.headers?.[name];
    if (value !== undefined && value !== "") any = true;
    text += `${value ?? ""}\n`;
  }
  if (!any) return null;
  const hi = fnv1a(text, 0x811c9dc5).toString(16).padStart(8, "0");
  const lo = fnv1a(text, 0x050c5d1f).toString(16).padStart(8, "0");
  return hi + lo;
}

export function createNewDevice(config: DeviceConfig): Signal {
  return ({ snapshot, principal, ctx }, out) => {
    if (principal === null || snapshot.fingerprintKnown) return;
    if (deviceFingerprint(ctx, config.headers) === null) return;
    const firstEver = snapshot.knownFingerprints === 0;
    const agent = ctx.headers["user-agent"] ?? "no user-agent";
    addReason(
      out,
      "new-device",
      config.weight,
      firstEver ? config.firstSeenStrength : 1,
      firstEver
        ? `first client seen for the principal (${agent})`
        : `client not among the principal's ${snapshot.knownFingerprints} known ones (${agent})`,
    );
  };
}
