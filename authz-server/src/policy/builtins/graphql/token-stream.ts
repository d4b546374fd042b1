// The parser's view of the tokens, as gqlparser's parser.go keeps it: one token of lookahead, and
// the comments read before it gathered into one group (`comment`) that the parser attaches to the
// node it starts next. Which node gets which comment follows from when `peek` and `next` are called,
// so the parsers call them in gqlparser's order. Nesting is capped at gqlparser's 1000 levels.
import { GraphqlSyntaxError, Lexer, type Token, type TokenKind } from "./lexer.ts";

export interface CommentGroup {
  List: { Value: string }[];
}

export const MAX_NESTING_DEPTH = 1000;

export class TokenStream {
  private readonly lexer: Lexer;
  private peeked = false;
  private peekToken: Token = { kind: "EOF", value: "" };
  private consumingComments = false;
  private depth = 0;
  prev: Token = { kind: "EOF", value: "" };
  comment: CommentGroup | null = null;

  constructor(input: string) {
    this.lexer = new Lexer(input);
  }

  peek(): Token {
    if (!this.peeked) {
      this.peekToken = this.lexer.next();
      this.peeked = true;
      if (this.peekToken.kind === "Comment") this.gatherComments();
    }
    return this.peekToken;
  }

  next(): Token {
    if (this.peeked) {
      this.peeked = false;
      this.comment = null;
      this.prev = this.peekToken;
    } else {
      this.prev = this.lexer.next();
      if (this.prev.kind === "Comment") this.gatherComments();
    }
    return this.prev;
  }

  private gatherComments(): void {
    if (this.consumingComments) return;
    this.consumingComments = true;
    const list: { Value: string }[] = [];
    while (this.peek().kind === "Comment") list.push({ Value: this.next().value });
    this.comment = { List: list };
    this.consumingComments = false;
  }

  expect(kind: TokenKind): { token: Token; comment: CommentGroup | null } {
    const token = this.peek();
    const comment = this.comment;
    if (token.kind !== kind) this.unexpected(token);
    return { token: this.next(), comment };
  }

  expectKeyword(value: string): CommentGroup | null {
    const token = this.peek();
    const comment = this.comment;
    if (token.kind !== "Name" || token.value !== value) this.unexpected(token);
    this.next();
    return comment;
  }

  skip(kind: TokenKind): boolean {
    if (this.peek().kind !== kind) return false;
    this.next();
    return true;
  }

  unexpected(token: Token = this.peek()): never {
    throw new GraphqlSyntaxError(`Unexpected ${token.kind}${token.value ? ` ${JSON.stringify(token.value)}` : ""}`);
  }

  name(): string {
    return this.expect("Name").token.value;
  }

  /** `start item* end`, nothing when `start` is absent. */
  many(start: TokenKind, end: TokenKind, item: () => void): void {
    if (!this.skip(start)) return;
    while (this.peek().kind !== end) item();
    this.next();
  }

  /** `start item+ end`; answers the comments read before `end`. */
  some(start: TokenKind, end: TokenKind, item: () => void): CommentGroup | null {
    if (!this.skip(start)) return null;
    let called = false;
    while (this.peek().kind !== end) {
      called = true;
      item();
    }
    if (!called) throw new GraphqlSyntaxError("expected at least one definition");
    const comment = this.comment;
    this.next();
    return comment;
  }

  nested<T>(parse: () => T): T {
    if (this.depth >= MAX_NESTING_DEPTH) {
      throw new GraphqlSyntaxError(`exceeded maximum nesting depth of ${MAX_NESTING_DEPTH}`);
    }
    this.depth++;
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }
}
