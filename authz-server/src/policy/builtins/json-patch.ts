// json.patch (topdown/json.go over OPA's edit tree): RFC 6902 operations applied in order to a
// copy of the document; a path is a JSON Pointer string (`~1` is `/`, `~0` is `~`) or an array
// of segments; arrays take an index or `-` (append) on add, sets take a member, objects a key;
// any failing operation (missing path, failed test, unknown op) fails the whole patch.
import { isPlainObject, RegoSet, type RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { fail, items, obj } from "./operands.ts";
import { regoEqual } from "./rego-order.ts";

type Segment = RegoValue;

function pathOf(value: RegoValue | undefined): Segment[] {
  if (typeof value === "string") {
    if (value === "") return [];
    return value
      .replace(/^\/+/, "")
      .split("/")
      .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  }
  if (Array.isArray(value)) return value;
  return fail("json.patch: path must be a string or an array of segments");
}

function clone(value: RegoValue): RegoValue {
  if (Array.isArray(value)) return value.map(clone);
  if (value instanceof RegoSet) return new RegoSet(value.items.map(clone));
  if (isPlainObject(value)) {
    const out = Object.create(null) as { [key: string]: RegoValue };
    for (const k of Object.keys(value)) out[k] = clone(value[k] as RegoValue);
    return out;
  }
  return value;
}

function arrayIndex(segment: Segment, length: number, forInsert: boolean): number {
  if (forInsert && segment === "-") return length;
  const n =
    typeof segment === "number" ? segment : typeof segment === "string" && /^\d+$/.test(segment) ? Number(segment) : -1;
  if (!Number.isInteger(n) || n < 0 || n > (forInsert ? length : length - 1))
    fail("json.patch: array index out of range");
  return n;
}

function child(node: RegoValue, segment: Segment): RegoValue {
  if (isPlainObject(node)) {
    if (typeof segment !== "string" || !Object.hasOwn(node, segment)) fail("json.patch: path not found");
    return node[segment] as RegoValue;
  }
  if (Array.isArray(node)) return node[arrayIndex(segment, node.length, false)] as RegoValue;
  if (node instanceof RegoSet) {
    const found = node.items.find((m) => regoEqual(m, segment));
    if (found === undefined) fail("json.patch: path not found");
    return found;
  }
  return fail("json.patch: path not found");
}

function parentOf(root: RegoValue, path: Segment[]): RegoValue {
  let node = root;
  for (const segment of path.slice(0, -1)) node = child(node, segment);
  return node;
}

function render(root: RegoValue, path: Segment[]): RegoValue {
  return path.length === 0 ? root : child(parentOf(root, path), path[path.length - 1] as Segment);
}

function insert(root: RegoValue, path: Segment[], value: RegoValue): RegoValue {
  if (path.length === 0) return clone(value);
  const parent = parentOf(root, path);
  const last = path[path.length - 1] as Segment;
  if (isPlainObject(parent)) {
    if (typeof last !== "string") fail("json.patch: object key must be a string");
    parent[last] = clone(value);
  } else if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, clone(value));
  else if (parent instanceof RegoSet) {
    if (!regoEqual(last, value)) fail("json.patch: a set member's path must be the member");
    if (!parent.items.some((m) => regoEqual(m, value))) parent.items.push(clone(value));
  } else fail("json.patch: cannot insert into a scalar");
  return root;
}

function remove(root: RegoValue, path: Segment[]): RegoValue {
  if (path.length === 0) fail("json.patch: cannot remove the document");
  const parent = parentOf(root, path);
  const last = path[path.length - 1] as Segment;
  if (isPlainObject(parent)) {
    if (typeof last !== "string" || !Object.hasOwn(parent, last)) fail("json.patch: path not found");
    delete parent[last];
  } else if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false), 1);
  else if (parent instanceof RegoSet) {
    const i = parent.items.findIndex((m) => regoEqual(m, last));
    if (i === -1) fail("json.patch: path not found");
    parent.items.splice(i, 1);
  } else fail("json.patch: path not found");
  return root;
}

function required(op: { [key: string]: RegoValue }, key: string): RegoValue {
  if (!Object.hasOwn(op, key)) fail(`missing required attribute '${key}'`);
  return op[key] as RegoValue;
}

function applyPatch(document: RegoValue, operations: RegoValue[]): RegoValue {
  let root = clone(document);
  for (const operation of operations) {
    const op = obj(operation, "json.patch");
    required(op, "path");
    const name = required(op, "op");
    if (typeof name !== "string") fail("attribute 'op' must be a string");
    const path = pathOf(op.path);
    switch (name) {
      case "add":
        root = insert(root, path, required(op, "value"));
        break;
      case "remove":
        root = remove(root, path);
        break;
      case "replace":
        root = remove(root, path);
        root = insert(root, path, required(op, "value"));
        break;
      case "move": {
        const from = pathOf(required(op, "from"));
        const chunk = clone(render(root, from));
        root = remove(root, from);
        root = insert(root, path, chunk);
        break;
      }
      case "copy":
        root = insert(root, path, render(root, pathOf(required(op, "from"))));
        break;
      case "test":
        if (!regoEqual(render(root, path), required(op, "value"))) fail("json.patch: test failed");
        break;
      default:
        fail(`unrecognized op: '${name}'`);
    }
  }
  return root;
}

export const jsonPatchBuiltins: Record<string, Builtin> = {
  "json.patch": ([document, patches]) => {
    if (!Array.isArray(patches)) fail("json.patch: operand 2 must be an array");
    return applyPatch(document as RegoValue, items(patches, "json.patch"));
  },
};
