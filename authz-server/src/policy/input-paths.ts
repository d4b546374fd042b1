// Which parts of the input a policy can read, found in its Rego sources when the bundle is built,
// carried in the bundle's signed manifest, and used by every check: OPA's Wasm module parses the
// whole input JSON on every evaluation, and for the default bundle that parse and the writing of
// the JSON were most of an evaluation's cost (bench/README.md), so a check writes only the
// subtrees the policy names.
//
// Sound by refusal: every occurrence of `input` must be the head of a reference whose first
// operand is a string constant (`input.a.b`, `input["a"][x]`, `import input.a as b`). The path
// kept is that reference's string prefix, and its whole subtree is written, so what any such
// reference evaluates to is unchanged. Anything else (`input` alone, `input[x]`, `walk(input)`,
// `with input… as`, a module that does not parse or is too large) gives no projection: the whole
// input is written. A bundle without the paths in its manifest (any bundle not built by
// scripts/build-policy.ts) gets the whole input too. Pure: no I/O.

import type { InputProjection } from "../translate/input-projection.ts";
import { parseModule } from "./builtins/rego-parser/parse-module.ts";

type Json = unknown;

/** Thrown inside the walk when `input` is used in a way a projection cannot follow. */
class Unprojectable extends Error {}

/** The input paths these parsed modules (OPA's AST JSON) can read, none under another, or
 *  undefined if they may read any part. */
function inputPathsOfModules(modules: readonly Json[]): string[][] | undefined {
  const root: Node = new Map();
  try {
    for (const module of modules) walk(module, root);
  } catch (err) {
    if (err instanceof Unprojectable) return undefined;
    throw err;
  }
  return pathsOf(root, []);
}

/** The same for Rego source texts; undefined when one does not parse (Rego v0, a form the
 *  parser refuses, a module over its bounds). */
export function inputPathsOfSources(sources: readonly { path: string; text: string }[]): string[][] | undefined {
  const modules: Json[] = [];
  for (const { path, text } of sources) {
    try {
      modules.push(parseModule(path, text));
    } catch {
      return undefined;
    }
  }
  return inputPathsOfModules(modules);
}

/** Where a bundle's manifest carries the paths (written by scripts/build-policy.ts from the
 *  sources: `opa build -t wasm` ships rewritten modules, not the ones the Wasm was built from). */
export function inputPathsMetadataOf(metadata: Record<string, unknown> | undefined): unknown {
  const meshward = metadata?.meshward;
  return typeof meshward === "object" && meshward !== null
    ? (meshward as Record<string, unknown>).input_paths
    : undefined;
}

const MAX_PATHS = 4096;
const MAX_PATH_LENGTH = 64;

/** The projection for a manifest's `input_paths`, or undefined (the whole input) when it is
 *  absent or not a list of non-empty string lists. */
export function inputProjectionOf(paths: unknown): InputProjection | undefined {
  if (!Array.isArray(paths) || paths.length > MAX_PATHS) return undefined;
  const root: Node = new Map();
  for (const path of paths) {
    if (!Array.isArray(path) || path.length === 0 || path.length > MAX_PATH_LENGTH) return undefined;
    if (!path.every((key) => typeof key === "string")) return undefined;
    keep(root, path as string[]);
  }
  return root;
}

function pathsOf(node: Node, prefix: string[]): string[][] {
  const out: string[][] = [];
  for (const [key, below] of node) {
    const path = [...prefix, key];
    if (below === true) out.push(path);
    else out.push(...pathsOf(below, path));
  }
  return out;
}

type Node = Map<string, Node | true>;

function isInputVar(term: Json): boolean {
  const t = term as { type?: unknown; value?: unknown } | null;
  return typeof t === "object" && t !== null && t.type === "var" && t.value === "input";
}

function walk(value: Json, root: Node): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, root);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  const term = value as Record<string, Json>;
  if (isInputVar(term)) throw new Unprojectable(); // not at the head of a reference
  if (term.type === "ref" && Array.isArray(term.value) && isInputVar(term.value[0])) {
    const operands = term.value;
    let i = 1;
    const path: string[] = [];
    for (; i < operands.length; i++) {
      const op = operands[i] as { type?: unknown; value?: unknown };
      if (op?.type !== "string" || typeof op.value !== "string") break;
      path.push(op.value);
    }
    if (path.length === 0) throw new Unprojectable(); // `input` or `input[x]`: any part
    keep(root, path);
    for (; i < operands.length; i++) walk(operands[i], root); // `input.a[input.b]`
    return;
  }
  const withs = term.with;
  if (Array.isArray(withs)) {
    for (const w of withs) {
      const target = (w as { target?: { type?: unknown; value?: unknown } }).target;
      const head = target?.type === "ref" && Array.isArray(target.value) ? target.value[0] : target;
      if (isInputVar(head)) throw new Unprojectable(); // the input is replaced in part or whole
    }
  }
  for (const key in term) walk(term[key], root);
}

/** Marks `path` kept whole; a shorter path kept before covers it, a longer one is replaced. */
function keep(root: Node, path: readonly string[]): void {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string;
    const next = node.get(key);
    if (next === true) return;
    if (i === path.length - 1) {
      node.set(key, true);
      return;
    }
    if (next === undefined) {
      const child: Node = new Map();
      node.set(key, child);
      node = child;
    } else {
      node = next;
    }
  }
}
