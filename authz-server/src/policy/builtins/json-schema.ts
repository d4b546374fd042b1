// json.verify_schema and json.match_schema with OPA's answers (topdown/jsonschema.go over its
// gojsonschema): a schema or document is a JSON string or an object (an array too), anything else
// is "wrong type"; verify answers [true, null] or [false, "jsonschema: <why>"]; match answers
// [valid, errors] and fails (undefined) when the document or schema cannot be read or compiled.
// The validator is ./json-schema/ (what it reproduces and what it refuses is said there and in
// authz-server/README.md). Numbers arrive as their literal text, so limits and big integers
// compare exactly as gojsonschema's big.Rat does.
import { isPlainObject, RegoObject, type RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { compileSchema } from "./json-schema/compile.ts";
import { fromRego, InvalidJson, type JsonNode, parseJsonText } from "./json-schema/json-node.ts";
import { InvalidSchema } from "./json-schema/messages.ts";
import type { SubSchema } from "./json-schema/sub-schema.ts";
import { validateDocument } from "./json-schema/validate.ts";
import { fail } from "./operands.ts";

/** Why OPA's loader refuses an operand; verify_schema reports it, match_schema fails with it. */
class Unreadable extends Error {}

function read(value: RegoValue | undefined): JsonNode {
  if (typeof value === "string") {
    try {
      return parseJsonText(value);
    } catch (err) {
      if (err instanceof InvalidJson) throw new Unreadable("invalid JSON string");
      throw err;
    }
  }
  if (Array.isArray(value) || value instanceof RegoObject || isPlainObject(value)) return fromRego(value as RegoValue);
  throw new Unreadable("wrong type, expected string or object");
}

/** Compiled schemas by their JSON text, least recently used first: a policy's fixed schemas are
 *  compiled once, as OPA's inter-query cache keeps them. */
const compiled = new Map<string, SubSchema>();
const CACHE_LIMIT = 64;

function compileCached(value: RegoValue | undefined): SubSchema {
  const key = typeof value === "string" ? `s${value}` : undefined;
  const hit = key === undefined ? undefined : compiled.get(key);
  if (hit !== undefined && key !== undefined) {
    compiled.delete(key);
    compiled.set(key, hit);
    return hit;
  }
  const schema = compileSchema(read(value));
  if (key !== undefined) {
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, schema);
  }
  return schema;
}

function verifySchema([schema]: RegoValue[]): RegoValue {
  try {
    compileSchema(read(schema));
    return [true, null];
  } catch (err) {
    if (err instanceof Unreadable || err instanceof InvalidSchema) return [false, `jsonschema: ${err.message}`];
    throw err;
  }
}

function matchSchema([document, schema]: RegoValue[]): RegoValue {
  try {
    const node = read(document);
    const errors = validateDocument(compileCached(schema), node);
    return [errors.length === 0, errors.map((e) => ({ error: e.error, type: e.type, field: e.field, desc: e.desc }))];
  } catch (err) {
    if (err instanceof Unreadable || err instanceof InvalidSchema) return fail(`json.match_schema: ${err.message}`);
    throw err;
  }
}

export const jsonSchemaBuiltins: Record<string, Builtin> = {
  "json.verify_schema": verifySchema,
  "json.match_schema": matchSchema,
};
