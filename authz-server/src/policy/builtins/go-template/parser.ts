// Go's text/template parser (text/template/parse): the token stream of lexer.ts into the tree of
// nodes.ts, with Go's checks and its error texts ("template: template:LINE: …"): undefined
// functions and variables, {{else}}/{{end}} out of place, break/continue outside range, non
// executable pipeline stages. {{define}}/{{block}} add named templates. Pure.
import { FUNCTIONS } from "./function-table.ts";
import { lex, type Token } from "./lexer.ts";
import { parseGoFloat, parseGoInt, unquoteRune, unquoteString } from "./literals.ts";
import {
  type Command,
  type Node,
  type NumberNode,
  type Operand,
  operandString,
  type Pipe,
  type VariableNode,
} from "./nodes.ts";
import { TemplateError, TemplateLimit, Unsupported } from "./values.ts";

const FUNCTION_NAMES = new Set(Object.keys(FUNCTIONS));

/** Deeper nesting (parentheses, control structures) is refused before the stack would be. */
const MAX_DEPTH = 1000;

export interface Templates {
  root: Node[];
  named: Map<string, Node[]>;
}

type ListEnd = { kind: "end" | "else"; token: Token } | undefined;

class Parser {
  private index = 0;
  private furthest = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  private depth = 0;
  private actionLine = 0;
  readonly named = new Map<string, Node[]>();

  constructor(private readonly tokens: Token[]) {}

  fail(message: string): never {
    const token = this.tokens[Math.min(this.furthest, this.tokens.length - 1)] as Token;
    throw new TemplateError(`template: template:${token.line}: ${message}`);
  }

  private next(): Token {
    const token = this.tokens[Math.min(this.index, this.tokens.length - 1)] as Token;
    this.index++;
    this.furthest = Math.max(this.furthest, this.index - 1);
    return token;
  }

  private peek(): Token {
    const token = this.next();
    this.index--;
    return token;
  }

  private backup(n = 1): void {
    this.index -= n;
  }

  private nextNonSpace(): Token {
    let token = this.next();
    while (token.kind === "space") token = this.next();
    return token;
  }

  private peekNonSpace(): Token {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  private describe(token: Token): string {
    if (token.kind === "eof") return "EOF";
    if (token.kind === "error") return token.text;
    // Go's item types list dot and nil among the keywords.
    if (token.kind === "keyword" || token.kind === "dot" || token.kind === "nil") return `<${token.text}>`;
    const quoted = JSON.stringify(token.text);
    return token.text.length > 10 ? `${JSON.stringify(token.text.slice(0, 10))}...` : quoted;
  }

  private unexpected(token: Token, context: string): never {
    if (token.kind === "error") {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at template:${this.actionLine}`;
        if (token.text.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.fail(`${token.text}${extra}`);
    }
    this.fail(`unexpected ${this.describe(token)} in ${context}`);
  }

  private expect(kind: Token["kind"], context: string): Token {
    const token = this.nextNonSpace();
    if (token.kind !== kind) this.unexpected(token, context);
    return token;
  }

  private deeper<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new TemplateLimit(`template nesting deeper than ${MAX_DEPTH}`);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  parse(): Node[] {
    const root: Node[] = [];
    while (this.peek().kind !== "eof") {
      if (this.peek().kind === "leftDelim") {
        const delim = this.next();
        const keyword = this.nextNonSpace();
        if (keyword.kind === "keyword" && keyword.text === "define") {
          this.definition();
          continue;
        }
        this.backup(this.index - this.tokens.indexOf(delim));
      }
      const { node, end } = this.textOrAction();
      if (end) this.fail(`unexpected {{${end.kind}}}`);
      if (node) root.push(node);
    }
    return root;
  }

  private definition(): void {
    const nameToken = this.nextNonSpace();
    const name = this.templateName(nameToken, "define clause");
    this.expect("rightDelim", "define clause");
    const saved = this.vars;
    this.vars = ["$"];
    const [list, end] = this.itemList();
    this.vars = saved;
    if (end?.kind !== "end") this.fail(`unexpected ${end ? `{{${end.kind}}}` : "EOF"} in define clause`);
    this.addTemplate(name, list);
  }

  private addTemplate(name: string, list: Node[]): void {
    const existing = this.named.get(name);
    const isEmpty = (nodes: Node[]) => nodes.every((n) => n.type === "text" && n.text.trim() === "");
    if (existing && !isEmpty(existing) && !isEmpty(list)) {
      this.fail(`template: multiple definition of template "${name}"`);
    }
    if (!existing || !isEmpty(list)) this.named.set(name, list);
  }

  private templateName(token: Token, context: string): string {
    if (token.kind !== "string" && token.kind !== "rawString") this.unexpected(token, context);
    return this.unquote(token.text);
  }

  private unquote(text: string): string {
    try {
      return unquoteString(text);
    } catch (err) {
      if (err instanceof Unsupported) throw err;
      return this.fail("invalid syntax");
    }
  }

  /** Nodes up to an {{end}} or {{else}} (which is returned), or an error at EOF. */
  private itemList(): [Node[], ListEnd] {
    const list: Node[] = [];
    while (this.peekNonSpace().kind !== "eof") {
      const { node, end } = this.textOrAction();
      if (end) return [list, end];
      if (node) list.push(node);
    }
    return this.fail("unexpected EOF");
  }

  private textOrAction(): { node?: Node; end?: ListEnd } {
    const token = this.nextNonSpace();
    if (token.kind === "text") return { node: { type: "text", pos: token.pos, text: token.text } };
    if (token.kind === "leftDelim") {
      this.actionLine = token.line;
      try {
        return this.action();
      } finally {
        this.actionLine = 0;
      }
    }
    return this.unexpected(token, "input");
  }

  private action(): { node?: Node; end?: ListEnd } {
    const token = this.nextNonSpace();
    if (token.kind === "keyword") {
      switch (token.text) {
        case "block":
          return { node: this.block() };
        case "break":
        case "continue":
          return { node: this.loopControl(token) };
        case "else": {
          const next = this.peekNonSpace();
          if (next.kind === "keyword" && (next.text === "if" || next.text === "with")) {
            return { end: { kind: "else", token: next } };
          }
          return { end: { kind: "else", token: this.expect("rightDelim", "else") } };
        }
        case "end":
          return { end: { kind: "end", token: this.expect("rightDelim", "end") } };
        case "if":
        case "range":
        case "with":
          return { node: this.control(token.text, token.pos) };
        case "template":
          return { node: this.templateCall() };
        default:
          return this.unexpected(token, "command");
      }
    }
    this.backup();
    return { node: { type: "action", pos: token.pos, pipe: this.pipeline("command", "rightDelim") } };
  }

  private loopControl(token: Token): Node {
    const next = this.nextNonSpace();
    if (next.kind !== "rightDelim") this.unexpected(next, `{{${token.text}}}`);
    if (this.rangeDepth === 0) this.fail(`{{${token.text}}} outside {{range}}`);
    return { type: token.text as "break" | "continue", pos: token.pos };
  }

  private control(context: "if" | "range" | "with", pos: number): Node {
    return this.deeper(() => {
      const mark = this.vars.length;
      try {
        const pipe = this.pipeline(context, "rightDelim");
        if (context === "range") this.rangeDepth++;
        const [list, end] = this.itemList();
        if (context === "range") this.rangeDepth--;
        let elseList: Node[] | undefined;
        if (end?.kind === "else") {
          const next = this.peek();
          if (context !== "range" && next.kind === "keyword" && next.text === context) {
            this.next();
            elseList = [this.control(context, next.pos)];
          } else {
            const [rest, last] = this.itemList();
            if (last?.kind !== "end") this.fail(`expected end; found {{${last?.kind}}}`);
            elseList = rest;
          }
        }
        return { type: context, pos, pipe, list, elseList };
      } finally {
        this.vars.length = mark;
      }
    });
  }

  private templateCall(): Node {
    const nameToken = this.nextNonSpace();
    const name = this.templateName(nameToken, "template clause");
    if (this.nextNonSpace().kind === "rightDelim") return { type: "template", pos: nameToken.pos, name };
    this.backup();
    return { type: "template", pos: nameToken.pos, name, pipe: this.pipeline("template clause", "rightDelim") };
  }

  private block(): Node {
    const nameToken = this.nextNonSpace();
    const name = this.templateName(nameToken, "block clause");
    const pipe = this.pipeline("block clause", "rightDelim");
    const saved = this.vars;
    this.vars = ["$"];
    const [list, end] = this.itemList();
    this.vars = saved;
    if (end?.kind !== "end") this.fail(`unexpected {{${end?.kind}}} in block clause`);
    this.addTemplate(name, list);
    return { type: "template", pos: nameToken.pos, name, pipe };
  }

  private pipeline(context: string, end: "rightDelim" | "rightParen"): Pipe {
    const start = this.peekNonSpace();
    const pipe: Pipe = { type: "pipe", pos: start.pos, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const token = this.nextNonSpace();
      if (token.kind === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      const startsCommand = [
        "bool",
        "char",
        "dot",
        "field",
        "identifier",
        "number",
        "nil",
        "rawString",
        "string",
        "variable",
        "leftParen",
      ].includes(token.kind);
      if (!startsCommand) this.unexpected(token, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  private declarations(pipe: Pipe, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.kind !== "variable") return;
      const before = this.index;
      this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.kind === "assign" || next.kind === "declare") {
        pipe.isAssign = next.kind === "assign";
        this.nextNonSpace();
        pipe.decl.push(this.variable(v));
        this.vars.push(v.text);
        return;
      }
      if (next.kind === "charItem" && next.text === ",") {
        this.nextNonSpace();
        pipe.decl.push(this.variable(v));
        this.vars.push(v.text);
        if (context === "range" && pipe.decl.length < 2) {
          const after = this.peekNonSpace();
          if (after.kind === "variable" || after.kind === "rightDelim" || after.kind === "rightParen") continue;
          this.fail("range can only initialize variables");
        }
        this.fail(`too many declarations in ${context}`);
      }
      this.index = before;
      return;
    }
  }

  private variable(token: Token): VariableNode {
    return { type: "variable", pos: token.pos, ident: token.text.split(".") };
  }

  private checkPipeline(pipe: Pipe, context: string): void {
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((cmd, i) => {
      const first = cmd.args[0] as Operand;
      if (["bool", "dot", "nil", "number", "string"].includes(first.type)) {
        this.fail(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): Command {
    const cmd: Command = { type: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.kind === "space") continue;
      if (token.kind === "rightDelim" || token.kind === "rightParen") this.backup();
      else if (token.kind !== "pipe") this.unexpected(token, "operand");
      break;
    }
    if (cmd.args.length === 0) this.fail("empty command");
    return cmd;
  }

  private operand(): Operand | undefined {
    const node = this.term();
    if (!node || this.peek().kind !== "field") return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().kind === "field") fields.push(this.next().text.slice(1));
    if (node.type === "field") return { type: "field", pos, ident: [...node.ident, ...fields] };
    if (node.type === "variable") return { type: "variable", pos, ident: [...node.ident, ...fields] };
    if (["bool", "string", "number", "nil", "dot"].includes(node.type)) {
      this.fail(`unexpected . after term ${JSON.stringify(operandString(node))}`);
    }
    return { type: "chain", pos, node, fields };
  }

  private term(): Operand | undefined {
    const token = this.nextNonSpace();
    switch (token.kind) {
      case "identifier":
        if (!FUNCTION_NAMES.has(token.text)) this.fail(`function ${JSON.stringify(token.text)} not defined`);
        return { type: "identifier", pos: token.pos, name: token.text };
      case "dot":
        return { type: "dot", pos: token.pos };
      case "nil":
        return { type: "nil", pos: token.pos };
      case "variable": {
        const node = this.variable(token);
        if (!this.vars.includes(node.ident[0] as string)) {
          this.fail(`undefined variable ${JSON.stringify(node.ident[0])}`);
        }
        return node;
      }
      case "field":
        return { type: "field", pos: token.pos, ident: [token.text.slice(1)] };
      case "bool":
        return { type: "bool", pos: token.pos, value: token.text === "true" };
      case "char":
      case "number":
        return this.number(token);
      case "leftParen":
        return this.deeper(() => this.pipeline("parenthesized pipeline", "rightParen"));
      case "string":
      case "rawString":
        return { type: "string", pos: token.pos, quoted: token.text, text: this.unquote(token.text) };
      case "error":
        return this.unexpected(token, "operand");
      default:
        this.backup();
        return undefined;
    }
  }

  private number(token: Token): NumberNode {
    const node: NumberNode = { type: "number", pos: token.pos, text: token.text, isFloatSyntax: false };
    if (token.kind === "char") {
      let code: number;
      try {
        code = unquoteRune(token.text);
      } catch (err) {
        if (err instanceof TemplateError && !(err instanceof Unsupported)) this.fail(err.message);
        throw err;
      }
      node.int = BigInt(code);
      node.float = code;
      return node;
    }
    if (token.text.endsWith("i")) throw new Unsupported(`the complex constant ${token.text}`);
    node.int = parseGoInt(token.text);
    if (node.int === undefined && parseGoInt(token.text, 2n ** 64n - 1n) !== undefined) return node;
    if (node.int !== undefined) {
      node.float = Number(node.int);
      return node;
    }
    const f = parseGoFloat(token.text);
    if (f === undefined || !Number.isFinite(f)) this.fail(`illegal number syntax: ${JSON.stringify(token.text)}`);
    if (!/[.eEpP]/.test(token.text)) this.fail(`integer overflow: ${JSON.stringify(token.text)}`);
    node.float = f;
    node.isFloatSyntax = true;
    if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) node.int = BigInt(f);
    return node;
  }
}

export function parseTemplate(text: string): Templates {
  const parser = new Parser(lex(text));
  const root = parser.parse();
  return { root, named: parser.named };
}
