// Rego values crossing the Wasm boundary to and from host builtins. OPA's Wasm ABI dumps a value
// as Rego text (`opa_value_dump`: JSON plus sets `{1, 2}` / `set()`, object keys of any type,
// numbers with the digits the policy holds) and parses the same text back (`opa_value_parse`), so
// a builtin sees a set as a set and can return one, and exact integers survive both ways. Here:
//   null, boolean, string        as themselves
//   number                       a JS number; with `bigIntegers`, integer literals are bigints;
//                                with `numberLiterals`, a RawRego of the literal's text
//   array                        an array
//   set                          a RegoSet
//   object                       an object without prototype (any key is data); with a key that is
//                                not a string, a RegoObject of entries
// Serialising: the same, plus `bigint` (an integer) and RawRego (text written as is). Pure.

export class RegoSet {
  constructor(readonly items: RegoValue[]) {}
}

export class RegoObject {
  constructor(readonly entries: [RegoValue, RegoValue][]) {}
}

/** Text already in Rego value syntax (e.g. a number literal with all its digits). */
export class RawRego {
  constructor(readonly text: string) {}
}

export type RegoValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | RegoValue[]
  | RegoSet
  | RegoObject
  | RawRego
  | { [key: string]: RegoValue };

export class RegoValueSyntaxError extends Error {}

/** `text` with each lone UTF-16 surrogate replaced by U+FFFD (String#toWellFormed, ES2024). */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

export interface ParseOptions {
  /** Integer literals as bigints (for exact nanosecond arithmetic). */
  bigIntegers?: boolean;
  /** Every number as a RawRego of its literal text, digit for digit (json.Number semantics). */
  numberLiterals?: boolean;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly options: ParseOptions,
  ) {}

  parse(): RegoValue {
    const value = this.value();
    this.space();
    if (this.pos !== this.text.length) this.fail("trailing text");
    return value;
  }

  private fail(what: string): never {
    throw new RegoValueSyntaxError(`${what} at ${this.pos}`);
  }

  private space(): void {
    while (this.pos < this.text.length && " \t\r\n".includes(this.text[this.pos] as string)) this.pos++;
  }

  private value(): RegoValue {
    this.space();
    const c = this.text[this.pos];
    if (c === '"') return this.string();
    if (c === "[") return this.array();
    if (c === "{") return this.objectOrSet();
    if (this.text.startsWith("set()", this.pos)) {
      this.pos += 5;
      return new RegoSet([]);
    }
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
    return this.number();
  }

  private number(): RegoValue {
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!m) this.fail("unexpected character");
    this.pos += m[0].length;
    if (this.options.numberLiterals) return new RawRego(m[0]);
    if (this.options.bigIntegers && m[1] === undefined && m[2] === undefined) return BigInt(m[0]);
    return Number(m[0]);
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === "\\") this.pos += 2;
      else if (c === '"') {
        this.pos++;
        return JSON.parse(this.text.slice(start, this.pos)) as string;
      } else this.pos++;
    }
    return this.fail("unterminated string");
  }

  private array(): RegoValue[] {
    this.pos++;
    const items: RegoValue[] = [];
    this.space();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.value());
      this.space();
      const c = this.text[this.pos++];
      if (c === "]") return items;
      if (c !== ",") this.fail("expected , or ]");
    }
  }

  private objectOrSet(): RegoValue {
    this.pos++;
    this.space();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return Object.create(null) as { [key: string]: RegoValue };
    }
    const first = this.value();
    this.space();
    if (this.text[this.pos] !== ":") return this.setFrom(first);
    const entries: [RegoValue, RegoValue][] = [];
    let key = first;
    for (;;) {
      this.space();
      if (this.text[this.pos++] !== ":") this.fail("expected :");
      entries.push([key, this.value()]);
      this.space();
      const c = this.text[this.pos++];
      if (c === "}") break;
      if (c !== ",") this.fail("expected , or }");
      key = this.value();
    }
    if (!entries.every(([k]) => typeof k === "string")) return new RegoObject(entries);
    const object = Object.create(null) as { [key: string]: RegoValue };
    for (const [k, v] of entries) object[k as string] = v;
    return object;
  }

  private setFrom(first: RegoValue): RegoSet {
    const items = [first];
    for (;;) {
      this.space();
      const c = this.text[this.pos++];
      if (c === "}") return new RegoSet(items);
      if (c !== ",") this.fail("expected , or }");
      items.push(this.value());
    }
  }
}

export function parseRegoValue(text: string, options: ParseOptions = {}): RegoValue {
  return new Parser(text, options).parse();
}

export function isPlainObject(value: unknown): value is { [key: string]: RegoValue } {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    !(value instanceof RegoSet) &&
    !(value instanceof RegoObject) &&
    !(value instanceof RawRego)
  );
}

/** Rego text of `value`; throws on what Rego has no value for (undefined, NaN, Infinity). */
export function regoText(value: RegoValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) throw new RegoValueSyntaxError(`not a Rego number: ${value}`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(wellFormed(value));
  }
  if (Array.isArray(value)) return `[${value.map(regoText).join(",")}]`;
  if (value instanceof RawRego) return value.text;
  if (value instanceof RegoSet) return value.items.length === 0 ? "set()" : `{${value.items.map(regoText).join(",")}}`;
  if (value instanceof RegoObject)
    return `{${value.entries.map(([k, v]) => `${regoText(k)}:${regoText(v)}`).join(",")}}`;
  if (typeof value === "object") {
    return `{${Object.keys(value)
      .map((k) => `${JSON.stringify(wellFormed(k))}:${regoText(value[k] as RegoValue)}`)
      .join(",")}}`;
  }
  throw new RegoValueSyntaxError(`not a Rego value: ${typeof value}`);
}

/** The JSON form of a Rego value (sets as arrays), for code that takes JSON. */
export function toJsonValue(value: RegoValue): unknown {
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? Number(value) : value;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof RegoSet) return value.items.map(toJsonValue);
  if (value instanceof RawRego) return JSON.parse(value.text);
  if (value instanceof RegoObject)
    return Object.fromEntries(value.entries.map(([k, v]) => [String(k), toJsonValue(v)]));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value))
    Object.defineProperty(out, k, {
      value: toJsonValue(value[k] as RegoValue),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}
