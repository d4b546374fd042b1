// OPA keeps a set literal's elements and an object literal's keys in its term order (ast/compare.go):
// null < boolean < number < string < var < ... < array < object < set, and answers them sorted, a
// set without duplicates. Here the kinds of element checked against OPA: scalars, vars, refs, arrays
// and sets of them. Anything else in a set or as a key, numbers equal in value but not in text, or an
// object key written twice is a RegoParseError rather than an order that might not be OPA's. Pure.
import type { RawRego } from "../../rego-value.ts";
import type { Term } from "./ast-json.ts";
import { RegoParseError } from "./lexer.ts";

const RANK: Record<string, number> = { null: 0, boolean: 1, number: 2, string: 3, var: 4, ref: 5, array: 6, set: 8 };

function rank(t: Term): number {
  const r = RANK[t.type];
  if (r === undefined) throw new RegoParseError(`a ${t.type} inside a set or as an object key, not supported`);
  if (t.type === "array" || t.type === "set" || t.type === "ref") for (const item of t.value as Term[]) rank(item);
  return r;
}

function compare(a: Term, b: Term): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (a.type) {
    case "null":
      return 0;
    case "boolean":
      return Number(a.value) - Number(b.value);
    case "number":
      return compareNumbers((a.value as RawRego).text, (b.value as RawRego).text);
    case "string":
    case "var":
      return Buffer.compare(Buffer.from(a.value as string), Buffer.from(b.value as string));
    default:
      return compareLists(a.value as Term[], b.value as Term[]);
  }
}

function compareNumbers(a: string, b: string): number {
  if (a === b) return 0;
  const x = Number(a);
  const y = Number(b);
  if (x === y || !Number.isFinite(x) || !Number.isFinite(y)) {
    throw new RegoParseError("numbers a double cannot tell apart inside a set or as object keys, not supported");
  }
  return x < y ? -1 : 1;
}

function compareLists(a: Term[], b: Term[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compare(a[i] as Term, b[i] as Term);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** A set literal's elements as OPA answers them: sorted, each once. */
export function setElements(items: Term[]): Term[] {
  for (const item of items) rank(item);
  const sorted = [...items].sort(compare);
  return sorted.filter((item, i) => i === 0 || compare(sorted[i - 1] as Term, item) !== 0);
}

/** An object literal's pairs as OPA answers them: sorted by key. */
export function objectPairs(pairs: [Term, Term][]): [Term, Term][] {
  for (const [key] of pairs) rank(key);
  const sorted = [...pairs].sort((x, y) => compare(x[0], y[0]));
  for (let i = 1; i < sorted.length; i++) {
    if (compare((sorted[i - 1] as [Term, Term])[0], (sorted[i] as [Term, Term])[0]) === 0) {
      throw new RegoParseError("an object key written twice, not supported");
    }
  }
  return sorted;
}
