/**
 * A small strict JSON reader (RFC 8259) for `pluginConfig`, which Envoy hands to `on_configure`
 * as bytes. AssemblyScript has no `JSON.parse`, and the filters need errors as values (no
 * exceptions: a `throw` would trap the VM), so this returns a tree or an error naming the offset.
 *
 * Strict on purpose: no comments, no trailing commas, no duplicate object keys (a duplicate key
 * usually hides a typo in a hand-written config), nesting at most `MAX_DEPTH` deep, numbers per
 * the RFC grammar (no leading `+`, no leading zeros, no `NaN`/`Infinity`).
 */

export const MAX_DEPTH: i32 = 32;

export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** One JSON value. Only the fields matching `kind` are meaningful. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  numberValue: f64 = 0;
  stringValue: string = "";
  /** Array elements, or object values in source order. */
  items: Array<JsonValue> = new Array<JsonValue>();
  /** Object keys in source order, parallel to `items`. */
  keys: Array<string> = new Array<string>();

  /** The member named `key`, or null. Linear: config objects have a handful of keys. */
  member(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }
}

/** Either a value or an error message ("offset 12: expected ':'"). */
export class JsonResult {
  value: JsonValue | null = null;
  error: string = "";
}

/** Human name of a kind, for "expected number, got string" messages. */
export function kindName(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null:
      return "null";
    case JsonKind.Bool:
      return "boolean";
    case JsonKind.Number:
      return "number";
    case JsonKind.String:
      return "string";
    case JsonKind.Array:
      return "array";
    default:
      return "object";
  }
}

/** Parses one JSON document (surrounding whitespace allowed, nothing else). */
export function parseJson(text: string): JsonResult {
  const parser = new Parser(text);
  const result = new JsonResult();
  parser.skipSpace();
  const value = parser.parseValue(0);
  if (value !== null) {
    parser.skipSpace();
    if (parser.pos < text.length) parser.fail("unexpected trailing characters");
  }
  if (parser.error.length > 0) {
    result.error = parser.error;
    return result;
  }
  result.value = value;
  return result;
}

class Parser {
  pos: i32 = 0;
  error: string = "";

  constructor(public text: string) {}

  fail(message: string): void {
    if (this.error.length == 0) this.error = "offset " + this.pos.toString() + ": " + message;
  }

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return;
      this.pos++;
    }
  }

  parseValue(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) {
      this.fail("nesting deeper than " + MAX_DEPTH.toString());
      return null;
    }
    const c = this.peek();
    if (c == 0x7b) return this.parseObject(depth);
    if (c == 0x5b) return this.parseArray(depth);
    if (c == 0x22) {
      const s = this.parseString();
      if (s === null) return null;
      const v = new JsonValue();
      v.kind = JsonKind.String;
      v.stringValue = s;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (this.matchWord("true")) return boolValue(true);
    if (this.matchWord("false")) return boolValue(false);
    if (this.matchWord("null")) return new JsonValue();
    this.fail(c < 0 ? "unexpected end of input" : "unexpected character");
    return null;
  }

  matchWord(word: string): bool {
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  parseObject(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    this.pos++; // '{'
    this.skipSpace();
    if (this.peek() == 0x7d) {
      this.pos++;
      return v;
    }
    while (true) {
      this.skipSpace();
      if (this.peek() != 0x22) {
        this.fail("expected a string key");
        return null;
      }
      const key = this.parseString();
      if (key === null) return null;
      if (v.member(key) !== null) {
        this.fail('duplicate key "' + key + '"');
        return null;
      }
      this.skipSpace();
      if (this.peek() != 0x3a) {
        this.fail("expected ':'");
        return null;
      }
      this.pos++;
      this.skipSpace();
      const item = this.parseValue(depth + 1);
      if (item === null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return v;
      if (c != 0x2c) {
        this.pos--;
        this.fail("expected ',' or '}'");
        return null;
      }
    }
  }

  parseArray(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    this.pos++; // '['
    this.skipSpace();
    if (this.peek() == 0x5d) {
      this.pos++;
      return v;
    }
    while (true) {
      this.skipSpace();
      const item = this.parseValue(depth + 1);
      if (item === null) return null;
      v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return v;
      if (c != 0x2c) {
        this.pos--;
        this.fail("expected ',' or ']'");
        return null;
      }
    }
  }

  parseString(): string | null {
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x22) {
        out += this.text.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.fail("control character in string");
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      out += this.text.substring(runStart, this.pos);
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22) out += '"';
      else if (e == 0x5c) out += "\\";
      else if (e == 0x2f) out += "/";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        const code = this.hex4();
        if (code < 0) return null;
        out += String.fromCharCode(code);
      } else {
        this.pos--;
        this.fail("invalid escape");
        return null;
      }
      runStart = this.pos;
    }
    this.fail("unterminated string");
    return null;
  }

  hex4(): i32 {
    let code = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.peek();
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      if (d < 0) {
        this.fail("invalid \\u escape");
        return -1;
      }
      code = (code << 4) | d;
      this.pos++;
    }
    return code;
  }

  parseNumber(): JsonValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) {
      this.pos++;
    } else if (!this.digits()) {
      this.fail("invalid number");
      return null;
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (!this.digits()) {
        this.fail("invalid number: digits expected after '.'");
        return null;
      }
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (!this.digits()) {
        this.fail("invalid number: digits expected in exponent");
        return null;
      }
    }
    const n = parseFloat(this.text.substring(start, this.pos));
    if (!isFinite(n)) {
      this.pos = start;
      this.fail("number out of range");
      return null;
    }
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.numberValue = n;
    return v;
  }

  /** Consumes one or more decimal digits; false if there were none. */
  digits(): bool {
    const start = this.pos;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    return this.pos > start;
  }
}

function boolValue(b: bool): JsonValue {
  const v = new JsonValue();
  v.kind = JsonKind.Bool;
  v.boolValue = b;
  return v;
}

/** JSON string literal for `s` (quotes and escapes), used by the config serialisers. */
export function quoteJson(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) {
      const hex = c.toString(16);
      out += "\\u" + "0000".substring(hex.length) + hex;
    } else out += String.fromCharCode(c);
  }
  return out + '"';
}
