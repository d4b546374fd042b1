// IPv4/IPv6 addresses and CIDR prefix tables for the IP-based signals (reputation, geolocation).
//
// Every address is held as 128 bits in four unsigned 32-bit words. IPv4 is mapped into
// `::ffff:0:0/96` (RFC 4291 §2.5.5.2), so `10.0.0.0/8` is stored as a /104 and an IPv4-mapped IPv6
// source such as `::ffff:10.1.2.3` (what a dual-stack listener reports) matches it too.
//
// Lookup: entries are grouped by prefix length; for each length (longest first) the address is
// masked and looked up in a hash map, so the cost is O(distinct prefix lengths), not O(entries).

export type Words = [number, number, number, number];

const V4_MAPPED_PREFIX: readonly number[] = [0, 0, 0xffff];

/**
 * Parses dotted-quad IPv4 into a 32-bit number, or null. Leading zeros are rejected (ambiguous
 * octal). Hand-rolled (no split/regex): it runs on every check.
 */
function parseV4(text: string): number | null {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a virtual final "."
    if (c === 46) {
      if (digits === 0 || octet > 255) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return null; // leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3) return null;
    } else return null;
  }
  return dots === 4 ? value >>> 0 : null;
}

/** Parses IPv6 text (RFC 4291 §2.2: `::` compression, embedded IPv4 tail, `%zone` ignored) into 8 groups. */
function parseV6Groups(text: string): number[] | null {
  const zone = text.indexOf("%");
  const body = zone >= 0 ? text.slice(0, zone) : text;
  const halves = body.split("::");
  if (halves.length > 2) return null;
  const parseSide = (side: string): number[] | null => {
    if (side === "") return [];
    const groups: number[] = [];
    const pieces = side.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseV4(piece);
        if (v4 === null) return null;
        groups.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        groups.push(Number.parseInt(piece, 16));
      } else return null;
    }
    return groups;
  };
  const head = parseSide(halves[0] as string);
  const tail = halves.length === 2 ? parseSide(halves[1] as string) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** 128-bit form of an IPv4 or IPv6 address; null when the text is not an address. */
export function parseIp(text: string): Words | null {
  if (text.includes(":")) {
    const g = parseV6Groups(text);
    if (g === null) return null;
    const w = (i: number) => ((((g[i] as number) << 16) | (g[i + 1] as number)) >>> 0) as number;
    return [w(0), w(2), w(4), w(6)];
  }
  const v4 = parseV4(text);
  if (v4 === null) return null;
  return [...(V4_MAPPED_PREFIX as [number, number, number]), v4];
}

function maskWords(words: Words, prefix: number): Words {
  const out: Words = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - i * 32));
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    out[i] = ((words[i] as number) & mask) >>> 0;
  }
  return out;
}

const keyOf = (w: Words): string => `${w[0]}.${w[1]}.${w[2]}.${w[3]}`;

const isV4Mapped = (w: Words): boolean => w[0] === 0 && w[1] === 0 && w[2] === 0xffff;

/** Numeric key of an IPv4-mapped block (prefix ≥ 96): the masked IPv4 word, no string built. */
function v4Key(v4: number, prefix: number): number {
  const bits = prefix - 96;
  return bits === 0 ? 0 : (v4 & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
}

function keyFor(masked: Words, prefix: number): string | number {
  return isV4Mapped(masked) && prefix >= 96 ? v4Key(masked[3], prefix) : keyOf(masked);
}

export interface ParsedCidr {
  words: Words;
  /** Prefix length in the 128-bit space (IPv4 /n becomes /(96+n)). */
  prefix: number;
}

/** Parses `addr/len` (or a bare address, meaning a host route); the error names what is wrong. */
export function parseCidr(text: string): ParsedCidr | string {
  const slash = text.indexOf("/");
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const words = parseIp(addr);
  if (words === null) return `not an IP address: ${JSON.stringify(addr)}`;
  const isV4 = !addr.includes(":");
  const max = isV4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return `bad prefix length in ${JSON.stringify(text)}`;
    len = Number(lenText);
  }
  const prefix = isV4 ? 96 + len : len;
  return { words: maskWords(words, prefix), prefix };
}

/** A longest-prefix-match table from CIDR blocks to values. */
export class CidrTable<V> {
  private readonly byPrefix = new Map<number, Map<string | number, V>>();
  /** Prefix lengths present, longest first. */
  private prefixes: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds a block; throws with the offending text when it does not parse. A later duplicate wins. */
  add(cidr: string, value: V): void {
    const parsed = parseCidr(cidr);
    if (typeof parsed === "string") throw new Error(parsed);
    let bucket = this.byPrefix.get(parsed.prefix);
    if (bucket === undefined) {
      bucket = new Map();
      this.byPrefix.set(parsed.prefix, bucket);
      this.prefixes = [...this.byPrefix.keys()].sort((a, b) => b - a);
    }
    const key = keyFor(parsed.words, parsed.prefix);
    if (!bucket.has(key)) this.count++;
    bucket.set(key, value);
  }

  /** The value of the longest block containing `ip`, or undefined (also for unparseable text). */
  lookup(ip: string | Words): V | undefined {
    const words = typeof ip === "string" ? parseIp(ip) : ip;
    if (words === null) return undefined;
    const mapped = isV4Mapped(words);
    for (const prefix of this.prefixes) {
      const key = mapped && prefix >= 96 ? v4Key(words[3], prefix) : keyOf(maskWords(words, prefix));
      const hit = this.byPrefix.get(prefix)?.get(key);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}
