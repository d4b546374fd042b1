// Which draft a schema is read with, as gojsonschema decides it: the root's "$schema" naming
// draft 4, 6 or 7 (with or without the empty fragment), otherwise its Hybrid mode. And the
// identifiers that would move the base URI its $ref values resolve against: only a plain http(s)
// "$id" at the root is accepted (OPA resolves "#..." against it exactly as against no id); one
// below the root is refused, since gojsonschema would resolve the references under it elsewhere.
// Pure.
import { fail } from "../operands.ts";
import { isObject, type JsonNode } from "./json-node.ts";
import { invalid, mustBeOfType } from "./messages.ts";
import { HYBRID } from "./sub-schema.ts";

const DRAFTS: Readonly<Record<string, number>> = {
  "http://json-schema.org/draft-04/schema": 4,
  "http://json-schema.org/draft-06/schema": 6,
  "http://json-schema.org/draft-07/schema": 7,
};

/** The root's draft; "schema is invalid" for a root that is neither an object nor a boolean. */
export function detectDraft(root: JsonNode): number {
  if (typeof root === "boolean") return HYBRID;
  if (!isObject(root)) return invalid("schema is invalid");
  const declared = root.get("$schema");
  if (declared === undefined) return HYBRID;
  if (typeof declared !== "string") return mustBeOfType("$schema", "string");
  const url = declared.endsWith("#") ? declared.slice(0, -1) : declared;
  const draft = DRAFTS[url];
  if (draft !== undefined) return draft;
  // Go parses $schema as a URL and normalises it (scheme case, escapes): a spelling that might
  // normalise to a draft URL, or fail to parse, is not guessed at.
  if (/[%\s\\]/.test(declared) || /json-schema\.org\/draft-0[467]\//i.test(declared)) {
    return fail(
      `json schema: $schema ${JSON.stringify(declared)} is not supported (use a draft 4, 6 or 7 URL as written)`,
    );
  }
  return HYBRID;
}

const ROOT_ID = /^https?:\/\/[A-Za-z0-9.-]+(?::\d+)?(?:\/[A-Za-z0-9._~/-]*)?#?$/;

/** The identifier key gojsonschema's reference walk reads: "id" when present, else "$id". */
function idOf(node: Map<string, JsonNode>): JsonNode | undefined {
  return node.has("id") ? node.get("id") : node.get("$id");
}

/** Refuses identifiers that would change how references resolve, walking where gojsonschema's
 *  reference pool walks (every value except const and enum; below properties, dependencies and
 *  patternProperties only the values). */
export function checkIdentifiers(node: JsonNode, atRoot = true): void {
  if (Array.isArray(node)) {
    for (const item of node) checkIdentifiers(item, false);
    return;
  }
  if (!isObject(node)) return;
  const id = idOf(node);
  if (typeof id === "string" && (!atRoot || !ROOT_ID.test(id))) {
    fail(`json schema: identifier ${JSON.stringify(id)} is not supported (only an http(s) $id at the root)`);
  }
  for (const [key, value] of node) {
    if (key === "const" || key === "enum") continue;
    if ((key === "properties" || key === "dependencies" || key === "patternProperties") && isObject(value)) {
      for (const child of value.values()) checkIdentifiers(child, false);
    } else checkIdentifiers(value, false);
  }
}
