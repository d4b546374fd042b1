// Reading one keyword's value the way gojsonschema does (getString, getSlice, mustBeNumber,
// mustBeInteger), with its texts for a value of the wrong type. Pure.
import type { RE2JS } from "re2js";
import { fail } from "../operands.ts";
import { compile } from "../regex.ts";
import { type Decimal, decimalOf, printable } from "./decimal.ts";
import { type JsonNode, JsonNumber, type JsonObject } from "./json-node.ts";
import { invalidType, mustBeOfAn } from "./messages.ts";

export function getString(m: JsonObject, key: string): string | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  return typeof v === "string" ? v : invalidType("string", key);
}

export function getSlice(m: JsonObject, key: string): JsonNode[] | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : mustBeOfAn(key, "array");
}

/** A number limit (mustBeNumber), or undefined for a value that is not a number. */
export function numberOf(v: JsonNode, key: string): Decimal | undefined {
  if (!(v instanceof JsonNumber)) return undefined;
  const d = decimalOf(v);
  // The limit is printed in messages; one Go would print with rounding is not guessed at.
  if (!printable(d)) fail(`json schema: ${key} ${v.text} has more significant digits than supported`);
  return d;
}

const INT64_MAX = 2n ** 63n - 1n;

/** mustBeInteger: json.Number.Int64 succeeds only for a plain integer literal within int64. */
export function integerOf(v: JsonNode): bigint | undefined {
  if (!(v instanceof JsonNumber) || !/^-?\d+$/.test(v.text)) return undefined;
  const n = BigInt(v.text);
  return n > INT64_MAX || n < -INT64_MAX - 1n ? undefined : n;
}

/** An RE2 pattern (Go's regexp), or undefined when Go's regexp would not compile it. Go accepts
 *  a capture-group name used twice and RE2JS does not: such a pattern fails the builtin rather
 *  than being called invalid where OPA compiles it. */
export function regexOf(source: string): RE2JS | undefined {
  try {
    return compile(source);
  } catch (err) {
    if (/duplicate capture group name/.test((err as Error).message)) {
      fail(`json schema: pattern ${JSON.stringify(source)} repeats a group name, which is not supported`);
    }
    return undefined;
  }
}
