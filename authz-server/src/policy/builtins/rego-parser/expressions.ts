// Rego terms, expressions and queries (bodies) → OPA's AST JSON. Infix operators become calls with
// OPA's precedence, lowest first: `in`; `==` `!=` `<` `<=` `>` `>=`; `|`; `&`; `+` `-`; `*` `/` `%`;
// then a prefix `-` (a negative number literal, or `0 - x`). At an expression's top, `:=` and `=`
// become `assign` and `eq` calls and `k, v in xs` a `member_3` call; `some`, `every`, `not` and `with`
// are the expression's own forms. Pure.
import {
  booleanTerm,
  builtinCall,
  callTerm,
  type Expr,
  exprTerms,
  nullTerm,
  numberTerm,
  refTerm,
  rootOrVar,
  stringTerm,
  type Term,
  term,
  varTerm,
} from "./ast-json.ts";
import { objectPairs, setElements } from "./term-order.ts";
import type { TokenCursor } from "./token-cursor.ts";

const RELATIONS: Record<string, string> = {
  "==": "equal",
  "!=": "neq",
  "<": "lt",
  "<=": "lte",
  ">": "gt",
  ">=": "gte",
};
const SUMS: Record<string, string> = { "+": "plus", "-": "minus" };
const PRODUCTS: Record<string, string> = { "*": "mul", "/": "div", "%": "rem" };

export class ExpressionParser {
  constructor(protected readonly cursor: TokenCursor) {}

  /** Expressions up to `close` (not consumed), separated by `;` or newlines. */
  query(close: string): Expr[] {
    const c = this.cursor;
    const body: Expr[] = [];
    for (;;) {
      body.push(this.literal(body.length));
      if (c.accept(";")) continue;
      if (c.at(close)) return body;
      if (!c.token.newlineBefore) c.fail(`expected a newline, ; or ${close}`);
    }
  }

  /** One body expression, at position `index`. */
  literal(index: number): Expr {
    const c = this.cursor;
    return c.nested(() => {
      const expr = this.plainLiteral(index);
      const withs: Term[] = [];
      while (c.atWord("with")) {
        c.next();
        const target = this.term();
        if (target.type !== "ref" && target.type !== "var") c.fail("expected a with target");
        if (!c.atWord("as")) c.fail("expected as");
        c.next();
        withs.push({ target, value: this.inTerm() } as never);
      }
      if (withs.length > 0) expr.with = withs;
      return expr;
    });
  }

  private plainLiteral(index: number): Expr {
    const c = this.cursor;
    if (c.atWord("some")) return { index, terms: this.some() };
    if (c.atWord("every")) return { index, terms: this.every() };
    const negated = c.atWord("not");
    if (negated) c.next();
    const expr: Expr = { index, terms: exprTerms(this.topExpression()) };
    if (negated) expr.negated = true;
    return expr;
  }

  private topExpression(): Term {
    const c = this.cursor;
    const left = this.inTerm();
    if (c.accept(",")) {
      const value = this.relation();
      if (!c.atWord("in")) c.fail("expected in");
      c.next();
      return builtinCall("internal.member_3", [left, value, this.relation()]);
    }
    if (c.accept(":=")) return builtinCall("assign", [left, this.inTerm()]);
    if (c.accept("=")) return builtinCall("eq", [left, this.inTerm()]);
    return left;
  }

  private some(): Term {
    const c = this.cursor;
    c.next();
    const first = this.relation();
    if (c.atWord("in") || c.at(",")) {
      const second = c.accept(",") ? this.relation() : undefined;
      if (c.atWord("in")) {
        c.next();
        const domain = this.or(false);
        const args = second === undefined ? [first, domain] : [first, second, domain];
        return { symbols: [builtinCall(`internal.member_${args.length}`, args)] } as never;
      }
      if (second === undefined) c.fail("expected in");
      const symbols = [first, second as Term];
      while (c.accept(",")) symbols.push(this.relation());
      if (symbols.some((s) => s.type !== "var")) c.fail("expected variables after some");
      return { symbols } as never;
    }
    if (first.type !== "var") c.fail("expected a variable after some");
    return { symbols: [first] } as never;
  }

  private every(): Term {
    const c = this.cursor;
    c.next();
    const first = this.declaredVar();
    const second = c.accept(",") ? this.declaredVar() : undefined;
    if (!c.atWord("in")) c.fail("expected in");
    c.next();
    const domain = this.or(false);
    c.expect("{");
    const body = this.query("}");
    c.expect("}");
    return {
      body,
      domain,
      key: second === undefined ? null : first,
      value: second ?? first,
    } as never;
  }

  private declaredVar(): Term {
    if (this.cursor.token.text === "_") {
      this.cursor.next();
      return varTerm(this.cursor.wildcard());
    }
    return varTerm(this.cursor.name());
  }

  /** A term with every infix operator (`x in xs` included). */
  inTerm(noBar = false): Term {
    const depth = this.cursor.nesting;
    let left = this.relation(noBar);
    while (this.cursor.atWord("in")) {
      this.cursor.next();
      this.cursor.deepen();
      left = builtinCall("internal.member_2", [left, this.relation(noBar)]);
    }
    this.cursor.restore(depth);
    return left;
  }

  private relation(noBar = false): Term {
    const depth = this.cursor.nesting;
    let left = this.or(noBar);
    for (let op = this.operator(RELATIONS); op !== undefined; op = this.operator(RELATIONS)) {
      this.cursor.deepen();
      left = builtinCall(op, [left, this.or(noBar)]);
    }
    this.cursor.restore(depth);
    return left;
  }

  private or(noBar: boolean): Term {
    const depth = this.cursor.nesting;
    let left = this.and();
    while (!noBar && this.cursor.accept("|")) {
      this.cursor.deepen();
      left = builtinCall("or", [left, this.and()]);
    }
    this.cursor.restore(depth);
    return left;
  }

  private and(): Term {
    const depth = this.cursor.nesting;
    let left = this.sum();
    while (this.cursor.accept("&")) {
      this.cursor.deepen();
      left = builtinCall("and", [left, this.sum()]);
    }
    this.cursor.restore(depth);
    return left;
  }

  private sum(): Term {
    const depth = this.cursor.nesting;
    let left = this.product();
    for (let op = this.operator(SUMS); op !== undefined; op = this.operator(SUMS)) {
      this.cursor.deepen();
      left = builtinCall(op, [left, this.product()]);
    }
    this.cursor.restore(depth);
    return left;
  }

  private product(): Term {
    const depth = this.cursor.nesting;
    let left = this.unary();
    for (let op = this.operator(PRODUCTS); op !== undefined; op = this.operator(PRODUCTS)) {
      this.cursor.deepen();
      left = builtinCall(op, [left, this.unary()]);
    }
    this.cursor.restore(depth);
    return left;
  }

  private operator(table: Record<string, string>): string | undefined {
    const t = this.cursor.token;
    const name = t.kind === "op" ? table[t.text] : undefined;
    if (name !== undefined) this.cursor.next();
    return name;
  }

  private unary(): Term {
    const c = this.cursor;
    if (!c.at("-")) return this.term();
    c.next();
    if (c.token.kind === "number") return numberTerm(`-${c.next().text}`);
    // OPA takes a prefix minus before a number or a name only (`-(1)` is its parse error).
    if (c.token.kind !== "ident") c.fail("expected a number or a name after -");
    return builtinCall("minus", [numberTerm("0"), this.term()]);
  }

  /** A single term: scalar, variable or ref, call, collection or comprehension, `( )`. */
  term(): Term {
    const c = this.cursor;
    return c.nested(() => {
      const t = c.token;
      if (t.kind === "number") return numberTerm(c.next().text);
      if (t.kind === "string") return stringTerm(c.next().text);
      if (t.kind === "ident") return this.wordTerm();
      if (c.accept("(")) {
        const inner = this.inTerm();
        c.expect(")");
        return inner;
      }
      if (c.accept("[")) return this.arrayTerm();
      if (c.accept("{")) return this.braceTerm();
      return c.fail("expected a term");
    });
  }

  private wordTerm(): Term {
    const c = this.cursor;
    const word = c.token.text;
    if (word === "true" || word === "false") {
      c.next();
      return booleanTerm(word === "true");
    }
    if (word === "null") {
      c.next();
      return nullTerm();
    }
    if (word === "set" && c.next() && c.atAdjacent("(")) {
      c.next();
      c.expect(")");
      return term("set", []);
    }
    if (word === "_") {
      if (c.token.text === "_") c.next();
      return this.refRest(varTerm(c.wildcard()));
    }
    // `contains` is a keyword and a builtin: right before `(` it is the call, as in OPA.
    if (word === "contains" && c.peekAdjacent("(")) {
      c.next();
      return this.refRest(varTerm(word));
    }
    if (word !== "set") c.name();
    return this.refRest(rootOrVar(word));
  }

  /** `.name`, `[term]` and `(args)` following a term with no space between. */
  private refRest(head: Term): Term {
    const c = this.cursor;
    const parts: Term[] = head.type === "ref" ? [...(head.value as Term[])] : [head];
    // `input` and `data` stay refs alone; a call alone is a call.
    let aRef = head.type === "ref";
    let called = false;
    for (;;) {
      if (c.atAdjacent(".")) {
        c.next();
        const word = c.token;
        if (word.kind !== "ident") c.fail("expected a name after .");
        c.next();
        parts.push(stringTerm(word.text));
      } else if (c.atAdjacent("[")) {
        c.next();
        parts.push(this.inTerm());
        c.expect("]");
      } else if (c.atAdjacent("(")) {
        const operator = parts.every((p, i) => (i === 0 ? p.type === "var" : p.type === "string"));
        if (!operator || called) c.fail("expected a function name before (");
        c.next();
        const args = this.list(")", () => this.inTerm());
        parts.splice(0, parts.length, callTerm(refTerm([...parts]), args));
        called = true;
        aRef = false;
      } else {
        break;
      }
    }
    if (parts.length === 1 && !aRef) return parts[0] as Term;
    return refTerm(parts);
  }

  /** Comma-separated items up to `close` (consumed), a trailing comma allowed. */
  list<T>(close: string, item: () => T): T[] {
    const c = this.cursor;
    const items: T[] = [];
    while (!c.accept(close)) {
      items.push(item());
      if (!c.accept(",")) {
        c.expect(close);
        break;
      }
    }
    return items;
  }

  /** The items after a collection's first, up to `close` (consumed). */
  private tail<T>(close: string, item: () => T): T[] {
    if (this.cursor.accept(",")) return this.list(close, item);
    this.cursor.expect(close);
    return [];
  }

  private arrayTerm(): Term {
    const c = this.cursor;
    if (c.accept("]")) return term("array", []);
    const first = this.inTerm(true);
    if (c.accept("|")) {
      const body = this.query("]");
      c.expect("]");
      return term("arraycomprehension", { body, term: first } as never);
    }
    const rest = this.tail("]", () => this.inTerm(true));
    return term("array", [first, ...rest]);
  }

  private braceTerm(): Term {
    const c = this.cursor;
    if (c.accept("}")) return term("object", []);
    const first = this.inTerm(true);
    if (c.accept(":")) {
      const value = this.inTerm(true);
      if (c.accept("|")) {
        const body = this.query("}");
        c.expect("}");
        return term("objectcomprehension", { body, key: first, value } as never);
      }
      const pair = (): [Term, Term] => {
        const k = this.inTerm(true);
        c.expect(":");
        return [k, this.inTerm(true)];
      };
      const rest = this.tail("}", pair);
      return term("object", objectPairs([[first, value], ...rest]) as never);
    }
    if (c.accept("|")) {
      const body = this.query("}");
      c.expect("}");
      return term("setcomprehension", { body, term: first } as never);
    }
    const rest = this.tail("}", () => this.inTerm(true));
    return term("set", setElements([first, ...rest]));
  }
}
