// GraphQL tokens as OPA's parser (gqlparser v2, lexer/lexer.go) reads them. Its choices differ from
// the spec's reference lexer in ways a policy can see, so they are kept: a number may run straight
// into a name (`1a` is the Int 1 then the Name a), `\u{...}` escapes are read, a lone surrogate
// escape becomes U+FFFD, comments are tokens (the parser attaches them to nodes), and a block
// string's common indent is measured over every line, the first included.

export type TokenKind =
  | "EOF"
  | "Bang"
  | "Dollar"
  | "Amp"
  | "ParenL"
  | "ParenR"
  | "Spread"
  | "Colon"
  | "Equals"
  | "At"
  | "BracketL"
  | "BracketR"
  | "BraceL"
  | "BraceR"
  | "Pipe"
  | "Name"
  | "Int"
  | "Float"
  | "String"
  | "BlockString"
  | "Comment";

export interface Token {
  kind: TokenKind;
  value: string;
}

/** A text that is not GraphQL: the builtin fails (OPA reports gqlparser's error). */
export class GraphqlSyntaxError extends Error {}

const PUNCTUATORS: Readonly<Record<string, TokenKind>> = {
  "!": "Bang",
  $: "Dollar",
  "&": "Amp",
  "(": "ParenL",
  ")": "ParenR",
  ":": "Colon",
  "=": "Equals",
  "@": "At",
  "[": "BracketL",
  "]": "BracketR",
  "{": "BraceL",
  "}": "BraceR",
  "|": "Pipe",
};

const isNameChar = (c: string) => /[0-9A-Za-z_]/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const HEX = /^[0-9A-Fa-f]$/;

export class Lexer {
  private end = 0;

  constructor(private readonly input: string) {}

  next(): Token {
    this.skipIgnored();
    const start = this.end;
    if (start >= this.input.length) return { kind: "EOF", value: "" };
    const c = this.input[start] as string;
    const punctuator = PUNCTUATORS[c];
    if (punctuator !== undefined) {
      this.end++;
      return { kind: punctuator, value: "" };
    }
    if (c === "." && this.input.startsWith("...", start)) {
      this.end += 3;
      return { kind: "Spread", value: "" };
    }
    if (c === "#") return this.comment();
    if (/[A-Za-z_]/.test(c)) return this.name();
    if (c === "-" || isDigit(c)) return this.number();
    if (c === '"') return this.input.startsWith('"""', start) ? this.blockString() : this.string();
    throw new GraphqlSyntaxError(`Cannot parse the unexpected character ${JSON.stringify(c)}`);
  }

  /** White space, commas, line ends and byte order marks. */
  private skipIgnored(): void {
    while (this.end < this.input.length) {
      const c = this.input[this.end];
      if (c === " " || c === "\t" || c === "," || c === "\n" || c === "\r" || c === "\ufeff") this.end++;
      else return;
    }
  }

  private comment(): Token {
    const start = this.end;
    while (this.end < this.input.length) {
      const code = this.input.charCodeAt(this.end);
      if (code > 0x1f || code === 0x09) this.end++;
      else break;
    }
    return { kind: "Comment", value: this.input.slice(start, this.end) };
  }

  private name(): Token {
    const start = this.end;
    while (this.end < this.input.length && isNameChar(this.input[this.end] as string)) this.end++;
    return { kind: "Name", value: this.input.slice(start, this.end) };
  }

  private digits(): number {
    const from = this.end;
    while (isDigit(this.input[this.end])) this.end++;
    return this.end - from;
  }

  private accept(...chars: string[]): boolean {
    if (this.end < this.input.length && chars.includes(this.input[this.end] as string)) {
      this.end++;
      return true;
    }
    return false;
  }

  private number(): Token {
    const start = this.end;
    let float = false;
    this.accept("-");
    if (this.accept("0")) {
      if (this.digits() !== 0) throw new GraphqlSyntaxError("Invalid number, unexpected digit after 0");
    } else if (this.digits() === 0) {
      throw new GraphqlSyntaxError("Invalid number, expected digit");
    }
    if (this.accept(".")) {
      float = true;
      if (this.digits() === 0) throw new GraphqlSyntaxError("Invalid number, expected digit");
    }
    if (this.accept("e", "E")) {
      float = true;
      this.accept("-", "+");
      if (this.digits() === 0) throw new GraphqlSyntaxError("Invalid number, expected digit");
    }
    return { kind: float ? "Float" : "Int", value: this.input.slice(start, this.end) };
  }

  private string(): Token {
    const input = this.input;
    let value = "";
    this.end++;
    while (this.end < input.length) {
      const c = input[this.end] as string;
      const code = c.charCodeAt(0);
      if (c === "\n" || c === "\r") break;
      if (code < 0x20 && c !== "\t") throw new GraphqlSyntaxError("Invalid character within String");
      if (c === '"') {
        this.end++;
        return { kind: "String", value };
      }
      if (c !== "\\") {
        value += c;
        this.end++;
        continue;
      }
      if (this.end + 1 >= input.length) throw new GraphqlSyntaxError("Invalid character escape sequence");
      value += this.escape(input[this.end + 1] as string);
    }
    throw new GraphqlSyntaxError("Unterminated string");
  }

  /** The escape at `end` (a backslash, then `letter`): its text, `end` moved past it. */
  private escape(letter: string): string {
    const input = this.input;
    const simple: Record<string, string> = {
      '"': '"',
      "/": "/",
      "\\": "\\",
      b: "\b",
      f: "\f",
      n: "\n",
      r: "\r",
      t: "\t",
    };
    const plain = simple[letter];
    if (plain !== undefined) {
      this.end += 2;
      return plain;
    }
    if (letter !== "u") throw new GraphqlSyntaxError("Invalid character escape sequence");
    if (input[this.end + 2] === "{") return this.bracedEscape();
    if (this.end + 6 >= input.length) throw new GraphqlSyntaxError("Invalid character escape sequence");
    const code = hex4(input.slice(this.end + 2, this.end + 6));
    if (code === undefined) throw new GraphqlSyntaxError("Invalid character escape sequence");
    this.end += 6;
    if (code >= 0xd800 && code < 0xdc00 && this.end + 6 < input.length) {
      const low = input.startsWith("\\u", this.end) ? hex4(input.slice(this.end + 2, this.end + 6)) : undefined;
      if (low !== undefined && low >= 0xdc00 && low <= 0xdfff) {
        this.end += 6;
        return String.fromCharCode(code, low);
      }
    }
    // Go writes a lone surrogate as U+FFFD.
    return code >= 0xd800 && code <= 0xdfff ? "\ufffd" : String.fromCharCode(code);
  }

  /** `\u{...}`: up to 8 hex digits naming a Unicode scalar value. */
  private bracedEscape(): string {
    const input = this.input;
    let n = 0;
    let code = 0;
    const from = this.end + 3;
    while (from + n < input.length && n <= 8) {
      const c = input[from + n] as string;
      if (c === "}") {
        const valid = n > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
        if (!valid) break;
        this.end = from + n + 1;
        return String.fromCodePoint(code);
      }
      if (!HEX.test(c)) break;
      code = code * 16 + Number.parseInt(c, 16);
      n++;
    }
    throw new GraphqlSyntaxError("Invalid character escape sequence");
  }

  private blockString(): Token {
    const input = this.input;
    let raw = "";
    this.end += 3;
    while (this.end < input.length) {
      const c = input[this.end] as string;
      if (c === '"') {
        let quotes = 1;
        while (input[this.end + quotes] === '"') quotes++;
        if (quotes >= 3) {
          raw += '"'.repeat(quotes - 3);
          this.end += quotes;
          return { kind: "BlockString", value: blockStringValue(raw) };
        }
      }
      const code = c.charCodeAt(0);
      if (code < 0x20 && c !== "\t" && c !== "\n" && c !== "\r") {
        throw new GraphqlSyntaxError("Invalid character within String");
      }
      if (c === "\\" && input.startsWith('\\"""', this.end)) {
        raw += '"""';
        this.end += 4;
      } else if (c === "\r") {
        this.end += input[this.end + 1] === "\n" ? 2 : 1;
        raw += "\n";
      } else {
        raw += c;
        this.end++;
      }
    }
    throw new GraphqlSyntaxError("Unterminated string");
  }
}

function hex4(text: string): number | undefined {
  return /^[0-9A-Fa-f]{4}$/.test(text) ? Number.parseInt(text, 16) : undefined;
}

/** Leading spaces and tabs of `line`, or Infinity for a line of nothing else. */
function leadingWhitespace(line: string): number {
  const indent = /^[ \t]*/.exec(line)?.[0].length ?? 0;
  return indent === line.length ? Number.POSITIVE_INFINITY : indent;
}

/** gqlparser's block-string value: common indent (over all lines) removed from every line but the
 *  first, blank lines trimmed at both ends. */
function blockStringValue(raw: string): string {
  const lines = raw.split("\n");
  let common = Number.POSITIVE_INFINITY;
  for (const line of lines) {
    const indent = leadingWhitespace(line);
    if (indent < common) common = indent;
    if (common === 0) break;
  }
  if (common !== Number.POSITIVE_INFINITY) {
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      lines[i] = line.length < common ? "" : line.slice(common);
    }
  }
  let start = 0;
  let end = lines.length;
  while (start < end && leadingWhitespace(lines[start] as string) === Number.POSITIVE_INFINITY) start++;
  while (start < end && leadingWhitespace(lines[end - 1] as string) === Number.POSITIVE_INFINITY) end--;
  return lines.slice(start, end).join("\n");
}
