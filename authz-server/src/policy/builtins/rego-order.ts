// OPA's total order of values (ast.Compare): null < boolean < number < string < array < object <
// set; strings by bytes (Unicode code points), arrays element by element then by length, objects
// by their sorted keys then values, sets by their sorted members. OPA iterates sets and object keys
// in this order, so what a builtin derives from them (sorted JSON, merged CIDRs) follows it. Pure.
import { isPlainObject, RawRego, RegoObject, RegoSet, type RegoValue } from "../rego-value.ts";

function rank(v: RegoValue): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return 1;
  if (typeof v === "number" || typeof v === "bigint" || v instanceof RawRego) return 2;
  if (typeof v === "string") return 3;
  if (Array.isArray(v)) return 4;
  if (v instanceof RegoSet) return 6;
  return 5;
}

/** Strings by code point (UTF-16 `<` misorders characters above U+FFFF against U+E000–U+FFFF). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function numberOf(v: RegoValue): number {
  return v instanceof RawRego ? Number(v.text) : Number(v);
}

function compareLists(a: RegoValue[], b: RegoValue[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareRego(a[i] as RegoValue, b[i] as RegoValue);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function entriesOf(v: RegoValue): [RegoValue, RegoValue][] {
  if (v instanceof RegoObject) return [...v.entries].sort(([x], [y]) => compareRego(x, y));
  if (!isPlainObject(v)) return [];
  return Object.keys(v)
    .sort(compareStrings)
    .map((k): [RegoValue, RegoValue] => [k, v[k] as RegoValue]);
}

export function compareRego(a: RegoValue, b: RegoValue): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return Number(a) - Number(b);
    case 2: {
      if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
      const x = numberOf(a);
      const y = numberOf(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3:
      return compareStrings(a as string, b as string);
    case 4:
      return compareLists(a as RegoValue[], b as RegoValue[]);
    case 6:
      return compareLists(sortedMembers(a as RegoSet), sortedMembers(b as RegoSet));
    default: {
      const ea = entriesOf(a);
      const eb = entriesOf(b);
      for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
        const [ka, va] = ea[i] as [RegoValue, RegoValue];
        const [kb, vb] = eb[i] as [RegoValue, RegoValue];
        const c = compareRego(ka, kb) || compareRego(va, vb);
        if (c !== 0) return c;
      }
      return ea.length - eb.length;
    }
  }
}

export function sortedMembers(set: RegoSet): RegoValue[] {
  return [...set.items].sort(compareRego);
}

export function regoEqual(a: RegoValue, b: RegoValue): boolean {
  return compareRego(a, b) === 0;
}
