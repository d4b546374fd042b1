/**
 * IP address text → 16 bytes, shared by the filters: IPv4 dotted quads are stored IPv4-mapped
 * (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) so IPv4 and IPv6 compare the same way. IPv6 text per RFC 4291
 * §2.2 forms 1 and 2 (hex groups, one "::"); the embedded-IPv4 form 3 is refused. Malformed input
 * returns null (errors as values).
 */
import { parseSmallDecimal } from "./decimal";

/** IPv4 dotted quad or IPv6 text (with optional "::") → 16 bytes, or null. */
export function parseIp(s: string): Uint8Array | null {
  const out = new Uint8Array(16);
  if (s.indexOf(":") < 0) {
    out[10] = 0xff;
    out[11] = 0xff;
    return parseV4Into(s, out, 12) ? out : null;
  }
  const dbl = s.indexOf("::");
  if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return null;
  const head = dbl >= 0 ? s.substring(0, dbl) : s;
  const tail = dbl >= 0 ? s.substring(dbl + 2) : "";
  const hg = head.length > 0 ? head.split(":") : new Array<string>();
  const tg = tail.length > 0 ? tail.split(":") : new Array<string>();
  if (dbl < 0 && hg.length != 8) return null;
  if (hg.length + tg.length > (dbl >= 0 ? 7 : 8)) return null;
  for (let i = 0; i < hg.length; i++) if (!putGroup(hg[i], out, i * 2)) return null;
  const start = 8 - tg.length;
  for (let i = 0; i < tg.length; i++) if (!putGroup(tg[i], out, (start + i) * 2)) return null;
  return out;
}

function putGroup(g: string, out: Uint8Array, at: i32): bool {
  if (g.length == 0 || g.length > 4) return false;
  let v = 0;
  for (let i = 0; i < g.length; i++) {
    const c = g.charCodeAt(i);
    let d = -1;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    if (d < 0) return false;
    v = (v << 4) | d;
  }
  out[at] = <u8>(v >> 8);
  out[at + 1] = <u8>(v & 0xff);
  return true;
}

function parseV4Into(s: string, out: Uint8Array, at: i32): bool {
  const parts = s.split(".");
  if (parts.length != 4) return false;
  for (let i = 0; i < 4; i++) {
    const v = parseSmallDecimal(parts[i], 3);
    if (v < 0 || v > 255) return false;
    out[at + i] = <u8>v;
  }
  return true;
}

/**
 * The address part of Envoy's `source.address` ("1.2.3.4:5678", "[::1]:80", or a bare address
 * for a pipe/unknown port).
 */
export function stripPort(address: string): string {
  if (address.startsWith("[")) {
    const close = address.indexOf("]");
    return close > 0 ? address.substring(1, close) : address;
  }
  const colon = address.indexOf(":");
  if (colon < 0) return address;
  return address.indexOf(":", colon + 1) >= 0 ? address : address.substring(0, colon);
}
