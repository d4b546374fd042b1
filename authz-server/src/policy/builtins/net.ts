// CIDR builtins with OPA's semantics (topdown/cidr.go) over Go's net.ParseIP / net.ParseCIDR
// syntax (dotted IPv4 without leading zeros, IPv6 with `::` and an optional trailing IPv4):
// net.cidr_merge merges overlapping and adjacent blocks into the fewest CIDRs (a bare IPv4
// address counts as its classful network, as Go's DefaultMask gives it); net.cidr_expand lists a
// block's addresses, refusing more than EXPAND_LIMIT (OPA runs until the query is cancelled);
// net.cidr_contains_matches pairs the indexes (array index, set member, object key) of every
// containing/contained pair.
import { isPlainObject, RegoSet, type RegoValue } from "../rego-value.ts";
import { type Builtin, BuiltinHalt } from "../wasm-host.ts";
import { fail, items, str } from "./operands.ts";

/** Addresses net.cidr_expand lists at most; a larger block stops the evaluation. */
export const EXPAND_LIMIT = 65_536;

interface Ip {
  v6: boolean;
  value: bigint;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part[0] === "0") || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(halves[0] as string);
  const right = halves.length === 2 ? groups(halves[1] as string) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...right];
  let value = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(`0x${g}`);
  }
  return tailV4 === undefined ? value : (value & ~0xffffffffn) | tailV4;
}

export function parseIp(text: string): Ip | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { v6: false, value: v4 };
  const v6 = text.includes(":") ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { v6: true, value: v6 };
}

interface Block {
  v6: boolean;
  first: bigint;
  last: bigint;
}

const bitsOf = (v6: boolean) => (v6 ? 128n : 32n);

export function parseCidr(text: string): (Block & { prefix: number }) | undefined {
  const slash = text.indexOf("/");
  if (slash === -1) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText) || (prefixText.length > 1 && prefixText[0] === "0")) return undefined;
  const prefix = Number(prefixText);
  const bits = bitsOf(ip.v6);
  if (prefix > Number(bits)) return undefined;
  const size = 1n << (bits - BigInt(prefix));
  const first = ip.value & ~(size - 1n);
  return { v6: ip.v6, first, last: first + size - 1n, prefix };
}

function format(v6: boolean, value: bigint): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => (value >> BigInt(112 - 16 * i)) & 0xffffn);
  // Go writes an IPv4-mapped address as dotted IPv4.
  if (groups.slice(0, 5).every((g) => g === 0n) && groups[5] === 0xffffn) return format(false, value & 0xffffffffn);
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}

/** The fewest CIDRs covering [first, last]. */
function rangeToCidrs(v6: boolean, first: bigint, last: bigint): string[] {
  const bits = bitsOf(v6);
  const out: string[] = [];
  let start = first;
  while (start <= last) {
    let size = 1n;
    while ((start & (size * 2n - 1n)) === 0n && start + size * 2n - 1n <= last && size * 2n <= 1n << bits) size *= 2n;
    let prefix = bits;
    for (let s = size; s > 1n; s >>= 1n) prefix--;
    out.push(`${format(v6, start)}/${prefix}`);
    start += size;
  }
  return out;
}

function blockOf(value: RegoValue): Block {
  const text = str(value, "net.cidr_merge: element");
  const ip = parseIp(text);
  if (ip) {
    if (ip.v6) fail("IPv6 invalid: needs prefix length");
    const classful = ip.value < 0x80000000n ? 8n : ip.value < 0xc0000000n ? 16n : 24n;
    const size = 1n << (32n - classful);
    const first = ip.value & ~(size - 1n);
    return { v6: false, first, last: first + size - 1n };
  }
  const cidr = parseCidr(text);
  if (!cidr) fail(`invalid CIDR address: ${text}`);
  return cidr;
}

function merge(values: RegoValue[]): string[] {
  const out: string[] = [];
  for (const v6 of [false, true]) {
    const blocks = values
      .map(blockOf)
      .filter((b) => b.v6 === v6)
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    const merged: Block[] = [];
    for (const b of blocks) {
      const previous = merged[merged.length - 1];
      if (previous && b.first <= previous.last + 1n) {
        if (b.last > previous.last) previous.last = b.last;
      } else merged.push({ ...b });
    }
    for (const b of merged) out.push(...rangeToCidrs(v6, b.first, b.last));
  }
  return out;
}

function contains(cidr: string, other: string): boolean {
  const outer = parseCidr(cidr);
  if (!outer) fail(`invalid CIDR address: ${cidr}`);
  const ip = parseIp(other);
  const inner = ip ? { v6: ip.v6, first: ip.value, last: ip.value } : parseCidr(other);
  if (!inner) fail(`not a valid textual representation of an IP address or CIDR: ${other}`);
  if (inner.v6 !== outer.v6) return false;
  return inner.first >= outer.first && inner.last <= outer.last;
}

function indexed(value: RegoValue, operand: number): [string, RegoValue][] {
  const cidrOf = (v: RegoValue): string => {
    if (typeof v === "string") return v;
    if (Array.isArray(v) && v.length > 0) return str(v[0], `operand ${operand}`);
    return fail(`operand ${operand}: element must be string or non-empty array`);
  };
  if (typeof value === "string") return [[value, value]];
  if (Array.isArray(value)) return value.map((v, i) => [cidrOf(v), i]);
  if (value instanceof RegoSet) return value.items.map((v) => [cidrOf(v), v]);
  if (isPlainObject(value)) return Object.keys(value).map((k) => [cidrOf(value[k] as RegoValue), k]);
  return fail(`operand ${operand} must be string, array, set or object`);
}

export const netBuiltins: Record<string, Builtin> = {
  "net.cidr_merge": ([networks]) => new RegoSet(merge(items(networks, "net.cidr_merge"))),
  "net.cidr_is_valid": ([cidr]) => typeof cidr === "string" && parseCidr(cidr) !== undefined,
  "net.cidr_expand": ([cidr]) => {
    const block = parseCidr(str(cidr, "net.cidr_expand"));
    if (!block) fail(`invalid CIDR address: ${cidr}`);
    if (block.last - block.first + 1n > BigInt(EXPAND_LIMIT)) {
      throw new BuiltinHalt(`net.cidr_expand: more than ${EXPAND_LIMIT} addresses`);
    }
    const out: string[] = [];
    for (let a = block.first; a <= block.last; a++) out.push(format(block.v6, a));
    return new RegoSet(out);
  },
  "net.cidr_contains_matches": ([a, b]) => {
    const pairs: RegoValue[] = [];
    for (const [cidr, i] of indexed(a as RegoValue, 1)) {
      for (const [other, j] of indexed(b as RegoValue, 2)) if (contains(cidr, other)) pairs.push([i, j]);
    }
    return new RegoSet(pairs);
  },
};
