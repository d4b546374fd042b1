/**
 * Source-address matching: IPv4 and IPv6 CIDR ranges ("10.0.0.0/8", "fd00::/8", a bare address
 * means /32 or /128). Addresses are 16 bytes (`filters/lib/ip.ts`: IPv4 as ::ffff:a.b.c.d), so one
 * comparison handles both families; an IPv4 range never matches an IPv6 peer unless it is
 * IPv4-mapped. Parsing returns null on any malformed input (errors as values).
 */
import { parseSmallDecimal } from "../../lib/decimal";
import { parseIp } from "../../lib/ip";

export class Cidr {
  constructor(
    public bytes: Uint8Array,
    public prefix: i32,
  ) {}

  contains(addr: Uint8Array): bool {
    let bits = this.prefix;
    for (let i = 0; i < 16 && bits > 0; i++) {
      const mask: i32 = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if ((<i32>addr[i] & mask) != (<i32>this.bytes[i] & mask)) return false;
      bits -= 8;
    }
    return true;
  }
}

/** "addr/len" or "addr" → Cidr, or null. IPv4 prefixes are shifted by 96 internally. */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf("/");
  const addrText = slash < 0 ? s : s.substring(0, slash);
  const addr = parseIp(addrText);
  if (addr === null) return null;
  const v4 = addrText.indexOf(":") < 0;
  const max = v4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    len = parseSmallDecimal(s.substring(slash + 1), 3);
    if (len < 0 || len > max) return null;
  }
  return new Cidr(addr, v4 ? len + 96 : len);
}
