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
  private nodes = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly maxDepth: number,
    private readonly maxNodes: number,
  ) {}

  /** Counts one rule, expression or term of the answer, refusing modules whose AST is too large
   *  to hand to the policy (its size, not the text's, is what a check pays for). */
  counted(): void {
    if (++this.nodes > this.maxNodes)
      throw new RegoParseError(`more than ${this.maxNodes} rules, expressions and terms`);
  }

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

  /** The token after the current one is this operator, with no space before it. */
  peekAdjacent(op: string): boolean {
    const t = this.tokens[this.pos + 1];
    return t !== undefined && t.kind === "op" && t.text === op && !t.spaceBefore;
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

  /** The nesting depth now, to `restore` once a chain of infix operators is folded. */
  get nesting(): number {
    return this.depth;
  }

  /** One level deeper for an infix operator folded into its left operand: OPA's AST nests each
   *  `a + b + c ...` one call deeper, so a long flat chain is a deep term (and a deep answer to
   *  write into the policy's memory), bounded like brackets. */
  deepen(): void {
    this.counted();
    if (++this.depth > this.maxDepth) throw new RegoParseError(`nesting deeper than ${this.maxDepth}`);
  }

  restore(depth: number): void {
    this.depth = depth;
  }

  /** Runs `step` one nesting level deeper, refusing input nested beyond the bound. */
  nested<T>(step: () => T): T {
    this.counted();
    if (++this.depth > this.maxDepth) throw new RegoParseError(`nesting deeper than ${this.maxDepth}`);
    try {
      return step();
    } finally {
      this.depth--;
    }
  }
}
