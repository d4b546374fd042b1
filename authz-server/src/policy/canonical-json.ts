// The canonical JSON text OPA hashes when it signs a bundle's .json files (bundle/hash.go `walk`):
// object keys sorted (byte order), no whitespace, strings written as Go's json.Encoder with HTML
// escaping off (so `<` stays, U+2028/U+2029 and control characters are escaped), and numbers as
// the literal text in the file (OPA decodes with json.Number, so `1.50` and `1e3` hash as written).
// That last point is why this is a small parser of its own and not JSON.parse. Pure.

class Cursor {
  i = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (/[ \t\r\n]/.test(this.text[this.i] ?? "")) this.i++;
  }

  fail(what: string): never {
    throw new SyntaxError(`canonical JSON: ${what} at offset ${this.i}`);
  }
}

/** Go's encoding/json string escaping with SetEscapeHTML(false). */
export function goJsonString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else if (c >= 0xd800 && c <= 0xdfff)
      out += "\ufffd"; // lone surrogate: Go writes U+FFFD
    else out += ch;
  }
  return `${out}"`;
}

function parseString(cur: Cursor): string {
  const start = cur.i;
  if (cur.text[cur.i] !== '"') cur.fail("expected string");
  cur.i++;
  while (cur.i < cur.text.length) {
    const ch = cur.text[cur.i];
    if (ch === "\\") cur.i += 2;
    else if (ch === '"') {
      cur.i++;
      return JSON.parse(cur.text.slice(start, cur.i)) as string;
    } else cur.i++;
  }
  return cur.fail("unterminated string");
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Byte-order comparison of UTF-8 strings = code point order (not JS's UTF-16 order). */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function value(cur: Cursor): string {
  cur.skipSpace();
  const ch = cur.text[cur.i];
  if (ch === "{") {
    cur.i++;
    const members = new Map<string, string>();
    cur.skipSpace();
    if (cur.text[cur.i] === "}") cur.i++;
    else {
      for (;;) {
        cur.skipSpace();
        const key = parseString(cur);
        cur.skipSpace();
        if (cur.text[cur.i] !== ":") cur.fail("expected ':'");
        cur.i++;
        members.set(key, value(cur)); // a repeated key keeps the last value, as Go's map does
        cur.skipSpace();
        const sep = cur.text[cur.i++];
        if (sep === "}") break;
        if (sep !== ",") cur.fail("expected ',' or '}'");
      }
    }
    const keys = [...members.keys()].sort(byCodePoint);
    return `{${keys.map((k) => `${goJsonString(k)}:${members.get(k)}`).join(",")}}`;
  }
  if (ch === "[") {
    cur.i++;
    const items: string[] = [];
    cur.skipSpace();
    if (cur.text[cur.i] === "]") cur.i++;
    else {
      for (;;) {
        items.push(value(cur));
        cur.skipSpace();
        const sep = cur.text[cur.i++];
        if (sep === "]") break;
        if (sep !== ",") cur.fail("expected ',' or ']'");
      }
    }
    return `[${items.join(",")}]`;
  }
  if (ch === '"') return goJsonString(parseString(cur));
  for (const literal of ["true", "false", "null"]) {
    if (cur.text.startsWith(literal, cur.i)) {
      cur.i += literal.length;
      return literal;
    }
  }
  NUMBER.lastIndex = cur.i;
  const m = NUMBER.exec(cur.text);
  if (!m) cur.fail("unexpected character");
  cur.i += m[0].length;
  return m[0];
}

/** Canonical text of a JSON document (throws SyntaxError on malformed JSON). */
export function canonicalJson(text: string): string {
  const cur = new Cursor(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const out = value(cur);
  cur.skipSpace();
  if (cur.i !== cur.text.length) cur.fail("trailing data");
  return out;
}
