// Rego source text → tokens, for rego.parse_module. Whitespace is not a token, but each token
// records whether whitespace (and whether a newline) came before it: Rego separates body
// expressions by newlines, and a ref or call continues only with no space before `.`, `[` or `(`.
// Comments are collected apart (OPA answers them with their position). Strictly the forms checked
// against OPA: anything else (non-ASCII outside strings and comments, escapes Go and JSON read
// differently, `$` template strings, ...) is a RegoParseError, never a guess. Pure.

export class RegoParseError extends Error {}

export type TokenKind = "ident" | "string" | "number" | "op" | "eof";

export interface Token {
  kind: TokenKind;
  /** The identifier, operator, number literal's text, or the string's decoded value. */
  text: string;
  /** 1-based line of the token's start. */
  row: number;
  spaceBefore: boolean;
  newlineBefore: boolean;
}

export interface Comment {
  row: number;
  /** 1-based column of `#`, in code points, as OPA's scanner counts runes. */
  col: number;
  /** What follows `#` up to the end of the line. */
  text: string;
}

const OPERATORS = [":=", "==", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", "|", "&"];
const PUNCTUATION = new Set([".", ",", ";", ":", "(", ")", "[", "]", "{", "}"]);
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const NUMBER = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/;

export function tokenize(source: string): { tokens: Token[]; comments: Comment[] } {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  let pos = 0;
  let row = 1;
  let lineStart = 0;
  let space = false;
  let newline = false;
  const fail = (what: string): never => {
    throw new RegoParseError(`${what} at line ${row}`);
  };
  const push = (kind: TokenKind, text: string) => {
    tokens.push({ kind, text, row, spaceBefore: space, newlineBefore: newline });
    space = false;
    newline = false;
  };
  while (pos < source.length) {
    const c = source[pos] as string;
    if (c === "\n") {
      pos++;
      row++;
      lineStart = pos;
      space = true;
      newline = true;
    } else if (c === " " || c === "\t" || c === "\r") {
      pos++;
      space = true;
    } else if (c === "#") {
      const end = source.indexOf("\n", pos);
      const stop = end < 0 ? source.length : end;
      const col = [...source.slice(lineStart, pos)].length + 1;
      comments.push({ row, col, text: source.slice(pos + 1, stop) });
      pos = stop;
      space = true;
    } else if (IDENT_START.test(c)) {
      let end = pos + 1;
      while (end < source.length && IDENT_PART.test(source[end] as string)) end++;
      push("ident", source.slice(pos, end));
      pos = end;
    } else if (c >= "0" && c <= "9") {
      const literal = NUMBER.exec(source.slice(pos, pos + 400))?.[0] ?? "";
      const next = source[pos + literal.length] ?? "";
      if (IDENT_PART.test(next) || next === ".") fail("a number literal of a form not supported");
      push("number", literal);
      pos += literal.length;
    } else if (c === '"') {
      const { value, end } = quoted(source, pos, fail);
      push("string", value);
      pos = end;
    } else if (c === "`") {
      const end = source.indexOf("`", pos + 1);
      if (end < 0) fail("an unterminated raw string");
      const value = source.slice(pos + 1, end);
      if (value.includes("\r")) fail("a carriage return in a raw string");
      push("string", value);
      row += value.split("\n").length - 1;
      if (value.includes("\n")) lineStart = pos + 1 + value.lastIndexOf("\n") + 1;
      pos = end + 1;
    } else {
      const op = OPERATORS.find((o) => source.startsWith(o, pos));
      if (op !== undefined) {
        push("op", op);
        pos += op.length;
      } else if (PUNCTUATION.has(c)) {
        push("op", c);
        pos++;
      } else {
        fail(`the character ${JSON.stringify(c)}, not supported`);
      }
    }
  }
  push("eof", "");
  return { tokens, comments };
}

function quoted(source: string, start: number, fail: (what: string) => never): { value: string; end: number } {
  let out = "";
  let pos = start + 1;
  for (;;) {
    const c = source[pos];
    if (c === undefined || c === "\n") fail("an unterminated string");
    if (c === '"') return { value: out, end: pos + 1 };
    if (((c as string) < " " && c !== "\t") || c === "\u007f") fail("a control character in a string");
    if (c !== "\\") {
      out += c;
      pos++;
      continue;
    }
    const e = source[pos + 1] as string;
    if (e === "u") {
      const hex = source.slice(pos + 2, pos + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) fail("a malformed \\u escape");
      const code = Number.parseInt(hex, 16);
      pos += 6;
      if (code >= 0xd800 && code <= 0xdbff) {
        // A surrogate pair written as two escapes is one character, as JSON reads it.
        const low = /^\\u(d[c-f][0-9a-f]{2})/i.exec(source.slice(pos, pos + 6))?.[1];
        if (low === undefined) fail("a lone UTF-16 surrogate escape, not supported");
        out += String.fromCharCode(code, Number.parseInt(low, 16));
        pos += 6;
      } else if (code >= 0xdc00 && code <= 0xdfff) {
        fail("a lone UTF-16 surrogate escape, not supported");
      } else {
        out += String.fromCharCode(code);
      }
    } else if (SIMPLE_ESCAPES[e] !== undefined) {
      out += SIMPLE_ESCAPES[e];
      pos += 2;
    } else {
      fail("an escape not supported in a string");
    }
  }
}
