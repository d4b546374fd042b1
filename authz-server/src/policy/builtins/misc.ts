// Builtins without a family of their own, with OPA's semantics: object.subset (topdown/subset.go:
// objects recursively, sets by membership, arrays as a contiguous run, an array super with a set
// sub by membership), numbers.range_step, graph.reachable_paths, the per-evaluation random values
// (rand.intn, uuid.rfc4122: the same arguments give the same value within one decision), uuid.parse,
// trace and print (accepted, no output), and the deprecated cast_* builtins.
import { randomInt, randomUUID } from "node:crypto";
import { isPlainObject, RegoSet, type RegoValue } from "../rego-value.ts";
import { type Builtin, BuiltinHalt } from "../wasm-host.ts";
import { fail, int, items, str } from "./operands.ts";
import { regoEqual } from "./rego-order.ts";

/** Numbers numbers.range_step returns at most; more stop the evaluation (OPA runs until cancelled). */
export const RANGE_LIMIT = 1_000_000;

function arraySubset(sup: RegoValue[], sub: RegoValue[]): boolean {
  if (sub.length > sup.length) return false;
  for (let start = 0; start + sub.length <= sup.length; start++) {
    if (sub.every((v, i) => regoEqual(sup[start + i] as RegoValue, v))) return true;
  }
  return false;
}

function subset(sup: RegoValue, sub: RegoValue): boolean {
  if (isPlainObject(sup) && isPlainObject(sub)) {
    return Object.keys(sub).every((k) => {
      if (!Object.hasOwn(sup, k)) return false;
      const a = sup[k] as RegoValue;
      const b = sub[k] as RegoValue;
      if (regoEqual(a, b)) return true;
      if (
        (isPlainObject(a) && isPlainObject(b)) ||
        (a instanceof RegoSet && b instanceof RegoSet) ||
        (Array.isArray(a) && Array.isArray(b))
      ) {
        return subset(a, b);
      }
      return false;
    });
  }
  if (sup instanceof RegoSet && sub instanceof RegoSet)
    return sub.items.every((m) => sup.items.some((n) => regoEqual(m, n)));
  if (Array.isArray(sup) && Array.isArray(sub)) return arraySubset(sup, sub);
  if (Array.isArray(sup) && sub instanceof RegoSet) {
    // OPA counts members found while walking the array: an empty array never reaches zero.
    let unmatched = sub.items.length;
    return sup.some((v) => {
      if (sub.items.some((m) => regoEqual(m, v))) unmatched--;
      return unmatched === 0;
    });
  }
  return fail("both arguments object.subset must be of the same type or array and set");
}

function rangeStep(from: number, to: number, step: number): number[] {
  if (step <= 0) fail("numbers.range_step: step must be a positive integer");
  if (Math.floor(Math.abs(to - from) / step) + 1 > RANGE_LIMIT) {
    throw new BuiltinHalt(`numbers.range_step: more than ${RANGE_LIMIT} numbers`);
  }
  const out: number[] = [];
  if (from <= to) for (let i = from; i <= to; i += step) out.push(i);
  else for (let i = from; i >= to; i -= step) out.push(i);
  return out;
}

/** The graph's edges of `node`: undefined when the node is not in the graph. */
function edgesOf(graph: { [key: string]: RegoValue }, node: RegoValue): RegoValue[] | undefined {
  if (typeof node !== "string" || !Object.hasOwn(graph, node)) return undefined;
  const edges = graph[node];
  return Array.isArray(edges) ? edges : edges instanceof RegoSet ? edges.items : [];
}

/** OPA's graph.reachable_paths: every path from an initial node until a leaf, a node outside the
 *  graph (not included) or a cycle (the repeated node not included). */
function reachablePaths(graph: RegoValue, initial: RegoValue): RegoSet {
  const g = isPlainObject(graph) ? graph : fail("graph.reachable_paths: operand 1 must be an object");
  if (!Array.isArray(initial) && !(initial instanceof RegoSet))
    fail("graph.reachable_paths: operand 2 must be an array or set");
  const paths: RegoValue[] = [];
  const build = (root: RegoValue, path: RegoValue[], reached: RegoValue[]) => {
    const edges = edgesOf(g, root);
    if (edges === undefined) {
      paths.push(path);
      return;
    }
    const here = [...path, root];
    if (edges.length === 0) {
      paths.push(here);
      return;
    }
    const seen = [...reached, root];
    for (const next of edges) {
      if (seen.some((r) => regoEqual(r, next))) paths.push(here);
      else build(next, here, seen);
    }
  };
  for (const node of items(initial, "graph.reachable_paths")) {
    const edges = edgesOf(g, node);
    if (edges === undefined) continue;
    if (edges.length === 0) paths.push([node]);
    else for (const next of edges) build(next, [node], [node]);
  }
  return new RegoSet(paths);
}

const UUID =
  /^(?:urn:uuid:)?\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})\}?$/;

function uuidParse(text: string): RegoValue | undefined {
  const m = UUID.exec(text);
  if (!m) return undefined;
  const hex = m.slice(1).join("").toLowerCase();
  const variantByte = Number.parseInt(hex.slice(16, 18), 16);
  const variant =
    (variantByte & 0xc0) === 0x80
      ? "RFC4122"
      : (variantByte & 0xe0) === 0xc0
        ? "Microsoft"
        : (variantByte & 0xe0) === 0xe0
          ? "Future"
          : "Reserved";
  const out = Object.create(null) as { [key: string]: RegoValue };
  out.version = Number.parseInt(hex[12] as string, 16);
  out.variant = variant;
  return out;
}

const memoized =
  (name: string, make: (args: RegoValue[]) => RegoValue): Builtin =>
  (args, context) => {
    const key = `${name}:${JSON.stringify(args.map((a) => (typeof a === "bigint" ? a.toString() : a)))}`;
    const seen = context.memo.get(key);
    if (seen !== undefined) return seen;
    const value = make(args);
    context.memo.set(key, value);
    return value;
  };

export const miscBuiltins: Record<string, Builtin> = {
  "object.subset": ([sup, sub]) => subset(sup as RegoValue, sub as RegoValue),
  "numbers.range_step": ([a, b, step]) =>
    rangeStep(int(a, "numbers.range_step"), int(b, "numbers.range_step"), int(step, "numbers.range_step")),
  "graph.reachable_paths": ([graph, initial]) => reachablePaths(graph as RegoValue, initial as RegoValue),
  "rand.intn": memoized("rand.intn", ([s, n]) => {
    str(s, "rand.intn");
    const bound = Math.abs(int(n, "rand.intn"));
    return bound === 0 ? 0 : randomInt(bound);
  }),
  "uuid.rfc4122": memoized("uuid.rfc4122", ([s]) => {
    str(s, "uuid.rfc4122");
    return randomUUID();
  }),
  "uuid.parse": ([s]) => uuidParse(str(s, "uuid.parse")),
  trace: ([note]) => {
    str(note, "trace");
    return true;
  },
  "internal.print": () => null,
  cast_array: ([v]) =>
    Array.isArray(v) ? v : v instanceof RegoSet ? v.items : fail("cast_array: operand must be an array or set"),
  cast_set: ([v]) => new RegoSet(items(v, "cast_set")),
  cast_string: ([v]) => str(v, "cast_string"),
  cast_boolean: ([v]) => (typeof v === "boolean" ? v : fail("cast_boolean: operand must be a boolean")),
  cast_null: ([v]) => (v === null ? null : fail("cast_null: operand must be null")),
  cast_object: ([v]) => (isPlainObject(v) ? v : fail("cast_object: operand must be an object")),
};
