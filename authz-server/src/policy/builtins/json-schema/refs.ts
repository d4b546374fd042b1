// Local references: "#" (the whole schema) and "#/a/b" JSON pointers (RFC 6901, ~1 and ~0) into
// the schema document, resolved as gojsonschema resolves them, with its texts for a pointer that
// leads nowhere. Other references (remote, relative, anchors, percent-escapes) are refused: OPA
// would fetch them or resolve them by URL rules this module does not reproduce. Pure.
import { fail } from "../operands.ts";
import { isObject, type JsonNode } from "./json-node.ts";
import { invalid } from "./messages.ts";

const LOCAL = /^#(?:\/[A-Za-z0-9_.~$-]*)*$/;
const INDEX = /^(?:0|[1-9]\d{0,8})$/;

export function checkLocalRef(ref: string): void {
  if (!LOCAL.test(ref)) {
    fail(`json schema: $ref ${JSON.stringify(ref)} is not supported (only "#" and "#/..." pointers into the schema)`);
  }
}

/** The node `ref` (checked by checkLocalRef) points to in `root`. */
export function resolvePointer(root: JsonNode, ref: string): JsonNode {
  let node = root;
  const tokens = ref.length <= 1 ? [] : ref.slice(2).split("/");
  for (const raw of tokens) {
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (isObject(node)) {
      const next = node.get(token);
      if (next === undefined) return invalid(`Object has no key '${token}'`);
      node = next;
    } else if (Array.isArray(node) && INDEX.test(token)) {
      const index = Number(token);
      if (index >= node.length) return invalid(`Out of bound array[0,${node.length}] index '${token}'`);
      node = node[index] as JsonNode;
    } else {
      return fail(`json schema: $ref ${JSON.stringify(ref)} does not lead to a schema`);
    }
  }
  return node;
}
