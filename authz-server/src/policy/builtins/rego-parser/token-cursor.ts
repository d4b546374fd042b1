// The parser's position in the token list, with the two bounds every recursive step passes through
// (nesting depth) and the counter OPA numbers each `_` wildcard with ($0, $1, ... across the whole
// module, in source order). Pure.
import { RegoParseError, type Token } from "./lexer.ts";

/** Words Rego v1 reserves: never a variable or rule name. */
export const KEYWORDS = new Set([
  "package",
  "import",
  "as",
  "default",
  "else",
  "not",
  "some",
  "with",
  "if",
  "contains",
  "in",
  "every",
  "true",
  "false",
  "null",
]);

export class TokenCursor {
  private pos = 0;
  private depth = 0;
  private wildcards = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly maxDepth: number,
  ) {}

  get token(): Token {
    return this.tokens[this.pos] as Token;
  }

  next(): Token {
    const t = this.token;
    if (t.kind !== "eof") this.pos++;
    return t;
  }

  /** The current token is this operator or punctuation. */
  at(op: string): boolean {
    return this.token.kind === "op" && this.token.text === op;
  }

  /** The current token is this word. */
  atWord(word: string): boolean {
    return this.token.kind === "ident" && this.token.text === word;
  }

  /** The current token continues a ref or call: `.`, `[` or `(` with no space before it. */
  atAdjacent(op: string): boolean {
    return this.at(op) && !this.token.spaceBefore;
  }

  accept(op: string): boolean {
    if (!this.at(op)) return false;
    this.next();
    return true;
  }

  expect(op: string): void {
    if (!this.accept(op)) this.fail(`expected ${op}`);
  }

  /** An identifier that is not a keyword: a variable or rule name. */
  name(): string {
    const t = this.token;
    if (t.kind !== "ident" || KEYWORDS.has(t.text)) this.fail("expected a name");
    this.next();
    return t.text;
  }

  wildcard(): string {
    return `$${this.wildcards++}`;
  }

  fail(what: string): never {
    const t = this.token;
    const found = t.kind === "eof" ? "end of module" : JSON.stringify(t.text);
    throw new RegoParseError(`${what}, found ${found} at line ${t.row} (or a construct not supported)`);
  }

  /** Runs `step` one nesting level deeper, refusing input nested beyond the bound. */
  nested<T>(step: () => T): T {
    if (++this.depth > this.maxDepth) throw new RegoParseError(`nesting deeper than ${this.maxDepth}`);
    try {
      return step();
    } finally {
      this.depth--;
    }
  }
}
