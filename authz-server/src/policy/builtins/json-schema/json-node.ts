// The JSON documents OPA's JSON Schema builtins work on, as gojsonschema holds them after decoding
// with UseNumber: numbers keep their literal text (json.Number) so that 12345678901234567890 and
// 0.1 are compared exactly, objects are maps (Go iterates them in no fixed order; here keys come
// sorted, as Go's json.Marshal writes them). Two ways in: JSON text (a schema or document given as
// a string: strict RFC 8259 as Go's json.Valid, the last of duplicate keys kept as Go's decoder
// does) and a Rego value (ast.JSON: sets become sorted arrays, non-string keys are refused). Both
// stop at MAX_NESTING so that no input recurses without bound. Pure.
import { isPlainObject, RawRego, RegoObject, RegoSet, type RegoValue, wellFormed } from "../../rego-value.ts";
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

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;

/** Why a text is not JSON; the builtins answer OPA's "invalid JSON string" for it. */
export class InvalidJson extends Error {}

class TextReader {
  private pos = 0;
  constructor(private readonly text: string) {}

  document(): JsonNode {
    const value = this.value(0);
    this.space();
    if (this.pos !== this.text.length) throw new InvalidJson("trailing text");
    return value;
  }

  private space(): void {
    while (this.pos < this.text.length && " \t\r\n".includes(this.text[this.pos] as string)) this.pos++;
  }

  private value(depth: number): JsonNode {
    this.space();
    const c = this.text[this.pos];
    if (c === "{" || c === "[") {
      if (depth >= MAX_NESTING) fail(`json schema: JSON nested deeper than ${MAX_NESTING}`);
      return c === "{" ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === '"') return this.string();
    for (const [word, value] of [
      ["null", null],
      ["true", true],
      ["false", false],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    const m = NUMBER.exec(this.text.slice(this.pos, this.pos + 1100));
    if (!m) throw new InvalidJson(`unexpected character at ${this.pos}`);
    this.pos += m[0].length;
    return new JsonNumber(m[0]);
  }

  private string(): string {
    const start = this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x5c) {
        const next = this.text[this.pos + 1] ?? "";
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) throw new InvalidJson("bad \\u");
          this.pos += 6;
        } else if ('"\\/bfnrt'.includes(next) && next !== "") this.pos += 2;
        else throw new InvalidJson("bad escape");
      } else if (c === 0x22) {
        this.pos++;
        // Go decodes an unpaired surrogate escape as U+FFFD.
        return wellFormed(JSON.parse(this.text.slice(start, this.pos)) as string);
      } else if (c < 0x20) throw new InvalidJson("control character in string");
      else this.pos++;
    }
    throw new InvalidJson("unterminated string");
  }

  private array(depth: number): JsonNode[] {
    this.pos++;
    const items: JsonNode[] = [];
    this.space();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth));
      this.space();
      const c = this.text[this.pos++];
      if (c === "]") return items;
      if (c !== ",") throw new InvalidJson("expected , or ]");
    }
  }

  private object(depth: number): JsonObject {
    this.pos++;
    const entries: [string, JsonNode][] = [];
    this.space();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return new Map();
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') throw new InvalidJson("expected a key");
      const key = this.string();
      this.space();
      if (this.text[this.pos++] !== ":") throw new InvalidJson("expected :");
      entries.push([key, this.value(depth)]);
      this.space();
      const c = this.text[this.pos++];
      if (c === "}") break;
      if (c !== ",") throw new InvalidJson("expected , or }");
    }
    return sortedMap(entries);
  }
}

/** Entries as a map with sorted keys, the last of duplicates kept. */
function sortedMap(entries: [string, JsonNode][]): JsonObject {
  const last = new Map(entries);
  return new Map([...last.keys()].sort(compareStrings).map((k) => [k, last.get(k) as JsonNode]));
}

/** JSON text decoded as gojsonschema decodes it; InvalidJson when Go's json.Valid says no. */
export function parseJsonText(text: string): JsonNode {
  return new TextReader(text).document();
}

/** A Rego value as OPA's ast.JSON hands it to gojsonschema (numbers from `rawNumbers` parsing). */
export function fromRego(value: RegoValue, depth = 0): JsonNode {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (value instanceof RawRego) return new JsonNumber(value.text);
  if (typeof value === "number" || typeof value === "bigint") return new JsonNumber(String(value));
  if (depth >= MAX_NESTING) fail(`json schema: value nested deeper than ${MAX_NESTING}`);
  if (Array.isArray(value)) return value.map((v) => fromRego(v, depth + 1));
  if (value instanceof RegoSet) return sortedMembers(value).map((v) => fromRego(v, depth + 1));
  if (value instanceof RegoObject || !isPlainObject(value)) return fail("json schema: object keys must be strings");
  return sortedMap(Object.keys(value).map((k) => [k, fromRego(value[k] as RegoValue, depth + 1)]));
}

export const isObject = (node: JsonNode): node is JsonObject => node instanceof Map;
