// The JSON documents OPA's JSON Schema builtins work on, as gojsonschema holds them after decoding
// with UseNumber: numbers keep their literal text (json.Number) so that 12345678901234567890 and
// 0.1 are compared exactly, objects are maps (Go iterates them in no fixed order; here keys come
// sorted, as Go's json.Marshal writes them). Two ways in: JSON text (a schema or document given as
// a string: strict RFC 8259 as Go's json.Valid, the last of duplicate keys kept as Go's decoder
// does) and a Rego value (ast.JSON: sets become sorted arrays, non-string keys are refused). Both
// stop at MAX_NESTING before recursing, so no input recurses without bound. Pure.

import { nestingDepth } from "../../../translate/json-text.ts";
import {
  isPlainObject,
  parseRegoValue,
  RawRego,
  RegoObject,
  RegoSet,
  type RegoValue,
  wellFormed,
} from "../../rego-value.ts";
import { fail } from "../operands.ts";
import { compareStrings, sortedMembers } from "../rego-order.ts";

/** A JSON number as its literal text (Go's json.Number). */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonObject = Map<string, JsonNode>;
export type JsonNode = null | boolean | string | JsonNumber | JsonNode[] | JsonObject;

/** Deepest array/object nesting accepted in a schema or document (Go's decoder allows 10000; a
 *  deeper input here is a builtin error, so the rule is undefined and the policy denies). */
export const MAX_NESTING = 512;

/** Why a text is not JSON; the builtins answer OPA's "invalid JSON string" for it. */
export class InvalidJson extends Error {}

/** JSON text decoded as gojsonschema decodes it; InvalidJson when Go's json.Valid says no
 *  (JSON.parse checks the same RFC 8259 grammar; the Rego value parser then keeps the numbers'
 *  literals, and JSON is a subset of its syntax). */
export function parseJsonText(text: string): JsonNode {
  try {
    JSON.parse(text);
  } catch {
    throw new InvalidJson("invalid JSON");
  }
  if (nestingDepth(text, MAX_NESTING + 1) > MAX_NESTING) fail(`json schema: JSON nested deeper than ${MAX_NESTING}`);
  return fromRego(parseRegoValue(text, { numberLiterals: true }));
}

/** Entries as a map with sorted keys, the last of duplicates kept. */
function sortedMap(entries: [string, JsonNode][]): JsonObject {
  const last = new Map(entries);
  return new Map([...last.keys()].sort(compareStrings).map((k) => [k, last.get(k) as JsonNode]));
}

/** A Rego value as OPA's ast.JSON hands it to gojsonschema (numbers from `numberLiterals` parsing). */
export function fromRego(value: RegoValue, depth = 0): JsonNode {
  if (value === null || typeof value === "boolean") return value;
  // Go decodes an unpaired surrogate escape in JSON text as U+FFFD.
  if (typeof value === "string") return wellFormed(value);
  if (value instanceof RawRego) return new JsonNumber(value.text);
  if (typeof value === "number" || typeof value === "bigint") return new JsonNumber(String(value));
  if (depth >= MAX_NESTING) fail(`json schema: value nested deeper than ${MAX_NESTING}`);
  if (Array.isArray(value)) return value.map((v) => fromRego(v, depth + 1));
  if (value instanceof RegoSet) return sortedMembers(value).map((v) => fromRego(v, depth + 1));
  if (value instanceof RegoObject || !isPlainObject(value)) return fail("json schema: object keys must be strings");
  return sortedMap(Object.keys(value).map((k) => [wellFormed(k), fromRego(value[k] as RegoValue, depth + 1)]));
}

export const isObject = (node: JsonNode): node is JsonObject => node instanceof Map;
