// Go's text/template lexer: text and {{ }} actions ("{{- " and " -}}" trim the white space beside
// them, {{/* */}} comments vanish), and inside an action the tokens Go's scanner gives. A lexing
// error becomes an "error" token where it happens, so that the parser reports whichever error Go
// meets first. Positions are UTF-16 indexes; lines count from 1. Pure.

export type TokenKind =
  | "text"
  | "leftDelim"
  | "rightDelim"
  | "space"
  | "field"
  | "variable"
  | "identifier"
  | "keyword"
  | "string"
  | "rawString"
  | "char"
  | "number"
  | "bool"
  | "nil"
  | "dot"
  | "pipe"
  | "declare"
  | "assign"
  | "leftParen"
  | "rightParen"
  | "charItem"
  | "eof"
  | "error";

export interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
  line: number;
}

const KEYWORDS = new Set(["block", "break", "continue", "define", "else", "end", "if", "range", "template", "with"]);
const SPACE = " \t\r\n";
const isSpace = (c: string | undefined) => c !== undefined && c !== "" && SPACE.includes(c);
const isAlphaNumeric = (c: string) => /^[\p{L}\p{Nd}_]$/u.test(c);

/** Go's %#U of a rune: U+007D '}'. */
export function goRune(c: string): string {
  const code = (c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, "0");
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(c) ? `U+${code} '${c}'` : `U+${code}`;
}

export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  const emit = (kind: TokenKind, start: number, end: number, startLine: number) => {
    tokens.push({ kind, text: input.slice(start, end), pos: start, line: startLine });
  };
  /** Ends the stream with an error token; false, for the lexing functions to return. */
  const fail = (message: string, at: number, atLine: number): false => {
    tokens.push({ kind: "error", text: message, pos: at, line: atLine });
    return false;
  };
  const countLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (input[i] === "\n") line++;
  };
  /** Moves to `to`, counting the lines passed (a trim marker's white space may be a newline). */
  const skipTo = (to: number) => {
    countLines(pos, to);
    pos = to;
  };
  const leftTrimmed = (at: number) => {
    let i = at;
    while (isSpace(input[i])) i++;
    return i;
  };
  const atRightDelim = (at: number): { delim: boolean; trim: boolean } => {
    if (isSpace(input[at]) && input[at + 1] === "-" && input.startsWith("}}", at + 2))
      return { delim: true, trim: true };
    return { delim: input.startsWith("}}", at), trim: false };
  };

  for (;;) {
    // Text up to the next action.
    const open = input.indexOf("{{", pos);
    const textEnd = open === -1 ? input.length : open;
    const trimLeft = open !== -1 && input[open + 2] === "-" && isSpace(input[open + 3]);
    let kept = textEnd;
    if (trimLeft) while (kept > pos && isSpace(input[kept - 1])) kept--;
    if (kept > pos) emit("text", pos, kept, line);
    skipTo(textEnd);
    if (open === -1) {
      emit("eof", input.length, input.length, line);
      return tokens;
    }
    const delimLine = line;
    skipTo(open + 2 + (trimLeft ? 2 : 0));
    if (input.startsWith("/*", pos)) {
      const startLine = line;
      const close = input.indexOf("*/", pos + 2);
      if (close === -1) {
        fail("unclosed comment", pos, startLine);
        return tokens;
      }
      const after = close + 2;
      const { delim, trim } = atRightDelim(after);
      if (!delim) {
        fail("comment ends before closing delimiter", pos, startLine);
        return tokens;
      }
      skipTo(after + (trim ? 2 : 0) + 2);
      if (trim) skipTo(leftTrimmed(pos));
      continue;
    }
    emit("leftDelim", open, open + 2, delimLine);
    if (!lexAction()) return tokens;
  }

  /** The inside of an action through its right delimiter; false after an error token. */
  function lexAction(): boolean {
    let parenDepth = 0;
    for (;;) {
      const { delim, trim } = atRightDelim(pos);
      if (delim) {
        if (parenDepth !== 0) return fail("unclosed left paren", pos, line);
        skipTo(pos + (trim ? 2 : 0));
        emit("rightDelim", pos, pos + 2, line);
        pos += 2;
        if (trim) skipTo(leftTrimmed(pos));
        return true;
      }
      const start = pos;
      const startLine = line;
      const c = input[pos];
      if (c === undefined) return fail("unclosed action", pos, line);
      if (isSpace(c)) {
        while (isSpace(input[pos]) && !atRightDelim(pos).trim) pos++;
        countLines(start, pos);
        emit("space", start, pos, startLine);
        continue;
      }
      pos++;
      if (c === "=") emit("assign", start, pos, line);
      else if (c === ":") {
        if (input[pos] !== "=") return fail("expected :=", start, line);
        pos++;
        emit("declare", start, pos, line);
      } else if (c === "|") emit("pipe", start, pos, line);
      else if (c === '"') {
        if (!quoted('"', "unterminated quoted string", start)) return false;
        emit("string", start, pos, line);
      } else if (c === "`") {
        const close = input.indexOf("`", pos);
        if (close === -1) return fail("unterminated raw quoted string", start, line);
        pos = close + 1;
        countLines(start, pos);
        emit("rawString", start, pos, startLine);
      } else if (c === "'") {
        if (!quoted("'", "unterminated character constant", start)) return false;
        emit("char", start, pos, line);
      } else if (c === "$") {
        if (!word("variable", start)) return false;
      } else if (c === "." && pos < input.length && !/[0-9]/.test(input[pos] as string)) {
        if (!word("field", start)) return false;
      } else if (c === "." || c === "+" || c === "-" || (c >= "0" && c <= "9")) {
        // A number: also a "." before a digit or at the end of the input, as Go's lexer has it.
        pos = start;
        if (!number(start)) return false;
      } else if (isAlphaNumeric(c)) {
        pos = start;
        if (!word("identifier", start)) return false;
      } else if (c === "(") {
        parenDepth++;
        emit("leftParen", start, pos, line);
      } else if (c === ")") {
        parenDepth--;
        if (parenDepth < 0) return fail("unexpected right paren", start, line);
        emit("rightParen", start, pos, line);
      } else if (c <= "\x7f" && c >= " ") emit("charItem", start, pos, line);
      else {
        const rune = String.fromCodePoint(input.codePointAt(start) as number);
        return fail(`unrecognized character in action: ${goRune(rune)}`, start, line);
      }
    }
  }

  function quoted(quote: string, unterminated: string, start: number): boolean {
    for (;;) {
      const c = input[pos++];
      if (c === "\\") {
        const next = input[pos];
        if (next === undefined || next === "\n") return fail(unterminated, start, line);
        pos++;
      } else if (c === undefined || c === "\n") return fail(unterminated, start, line);
      else if (c === quote) return true;
    }
  }

  function atTerminator(): boolean {
    const c = input[pos];
    if (c === undefined || isSpace(c) || ".,|:()".includes(c)) return true;
    return input.startsWith("}}", pos);
  }

  /** A field (.x), variable ($x) or identifier (with keywords, true/false, nil). */
  function word(kind: "field" | "variable" | "identifier", start: number): boolean {
    if (kind !== "identifier" && atTerminator()) {
      emit(kind === "field" ? "dot" : "variable", start, pos, line);
      return true;
    }
    for (;;) {
      const code = input.codePointAt(pos);
      const c = code === undefined ? "" : String.fromCodePoint(code);
      if (c !== "" && isAlphaNumeric(c)) {
        pos += c.length;
        continue;
      }
      if (!atTerminator()) return fail(`bad character ${goRune(c)}`, pos, line);
      break;
    }
    const text = input.slice(start, pos);
    let k: TokenKind = kind;
    if (kind === "identifier") {
      if (KEYWORDS.has(text)) k = "keyword";
      else if (text === "true" || text === "false") k = "bool";
      else if (text === "nil") k = "nil";
    }
    emit(k, start, pos, line);
    return true;
  }

  /** Go's scanNumber: sign, base prefix, digits with underscores, fraction, exponent, imaginary;
   *  false when a letter or digit follows. */
  function scanNumber(): boolean {
    if (input[pos] === "+" || input[pos] === "-") pos++;
    let digits = "0123456789_";
    let exponent = "eE";
    if (input[pos] === "0" && /[xXoObB]/.test(input[pos + 1] ?? "")) {
      const base = (input[pos + 1] as string).toLowerCase();
      pos += 2;
      digits = base === "x" ? "0123456789abcdefABCDEF_" : base === "o" ? "01234567_" : "01_";
      exponent = base === "x" ? "pP" : "";
    }
    const run = (set: string) => {
      while (pos < input.length && set.includes(input[pos] as string)) pos++;
    };
    run(digits);
    if (input[pos] === ".") {
      pos++;
      run(digits);
    }
    if (exponent !== "" && exponent.includes(input[pos] ?? "~")) {
      pos++;
      if (input[pos] === "+" || input[pos] === "-") pos++;
      run("0123456789_");
    }
    if (input[pos] === "i") pos++;
    const next = input.codePointAt(pos);
    if (next !== undefined && isAlphaNumeric(String.fromCodePoint(next))) {
      pos += next > 0xffff ? 2 : 1;
      return false;
    }
    return true;
  }

  /** A number, or a complex constant (1+2i: a second number right after, ending in i). */
  function number(start: number): boolean {
    const bad = () => fail(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`, start, line);
    if (!scanNumber()) return bad();
    if (input[pos] === "+" || input[pos] === "-") {
      if (!scanNumber() || input[pos - 1] !== "i") return bad();
    }
    emit("number", start, pos, line);
    return true;
  }
}
