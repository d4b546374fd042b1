// A Rego v1 module's declarations → OPA's AST JSON: the package, the imports, and each rule with
// its head (name, ref, key, args, value, assign — present or omitted as OPA does), its body, its
// `else` chain and `default` mark. Pure.
import type { RegoValue } from "../../rego-value.ts";
import {
  booleanTerm,
  type Expr,
  generatedTrueBody,
  refTerm,
  stringTerm,
  type Term,
  term,
  varTerm,
} from "./ast-json.ts";
import { ExpressionParser } from "./expressions.ts";

type Json = { [key: string]: RegoValue };

const FUTURE_KEYWORDS = new Set(["in", "every", "if", "contains"]);

export class ModuleParser extends ExpressionParser {
  module(): Json {
    const c = this.cursor;
    if (!c.atWord("package")) c.fail("expected package");
    c.next();
    const out: Json = { package: { path: [varTerm("data"), ...this.packagePath()] } };
    const imports: Json[] = [];
    while (c.atWord("import")) imports.push(this.importDecl());
    const rules: Json[] = [];
    while (c.token.kind !== "eof") rules.push(this.rule());
    if (imports.length > 0) out.imports = imports;
    if (rules.length > 0) out.rules = rules;
    return out;
  }

  private packagePath(): Term[] {
    const c = this.cursor;
    const first = c.name();
    // OPA needs no newline after the package path (`package p q := 1` is a package and a rule).
    return [stringTerm(first), ...this.dottedRest(true)];
  }

  /** `.name` and `["string"]` parts, with no space before each; a keyword as a name if `keywords`. */
  private dottedRest(keywords: boolean): Term[] {
    const c = this.cursor;
    const parts: Term[] = [];
    for (;;) {
      if (c.atAdjacent(".")) {
        c.next();
        parts.push(stringTerm(keywords ? this.word() : c.name()));
      } else if (c.atAdjacent("[")) {
        c.next();
        if (c.token.kind !== "string") c.fail("expected a string in [ ]");
        parts.push(stringTerm(c.next().text));
        c.expect("]");
      } else {
        return parts;
      }
    }
  }

  private importDecl(): Json {
    const c = this.cursor;
    c.next();
    const root = c.name();
    // `import future.keywords.in` names a keyword; `import data.if` is OPA's parse error.
    const rest = this.dottedRest(root === "future");
    const names = rest.map((t) => t.value as string);
    const supported =
      root === "data" ||
      root === "input" ||
      (root === "rego" && names.length === 1 && names[0] === "v1") ||
      (root === "future" &&
        names[0] === "keywords" &&
        (names.length === 1 || (names.length === 2 && FUTURE_KEYWORDS.has(names[1] as string))));
    if (!supported) c.fail("expected an import of data, input, rego.v1 or future.keywords");
    const decl: Json = { path: refTerm([varTerm(root), ...rest]) };
    if (c.atWord("as")) {
      if (root !== "data" && root !== "input") c.fail("expected no alias");
      c.next();
      decl.alias = c.name();
    }
    this.endOfDeclaration();
    return decl;
  }

  /** Any identifier, keywords included. */
  private word(): string {
    if (this.cursor.token.kind !== "ident") this.cursor.fail("expected a name after .");
    return this.cursor.next().text;
  }

  private endOfDeclaration(): void {
    const t = this.cursor.token;
    if (t.kind !== "eof" && !t.newlineBefore) this.cursor.fail("expected a newline");
  }

  private rule(): Json {
    this.cursor.counted();
    const c = this.cursor;
    const isDefault = c.atWord("default");
    if (isDefault) c.next();
    const ref = this.headRef();
    const isFunction = ref.length === 1 && c.atAdjacent("(") && c.accept("(");
    const args = isFunction ? this.list(")", () => this.inTerm()) : undefined;
    const head: Json = { ref };
    if (args !== undefined) head.args = args;
    let explicitValue = false;
    if (c.atWord("contains")) {
      if (args !== undefined || isDefault) c.fail("expected := or =");
      c.next();
      head.key = this.inTerm();
    } else if (c.at(":=") || c.at("=")) {
      head.assign = c.next().text === ":=";
      head.value = this.inTerm();
      explicitValue = true;
    } else {
      if (isDefault) c.fail("expected := or =");
      head.value = booleanTerm(true);
    }
    // A default rule's head is named only by a plain name: `default p.q := 1` has no name or key.
    if (!isDefault || ref.length === 1) nameAndKey(head, ref, explicitValue, args !== undefined);
    if (!head.assign) delete head.assign;
    const rule: Json = { head, body: isDefault ? generatedTrueBody() : this.ruleBody() };
    if (isDefault) rule.default = true;
    if (!isDefault && head.value !== undefined) {
      const chain = this.elseChain(head);
      if (chain !== undefined) rule.else = chain;
    }
    // OPA needs nothing between two rules, not even a newline (`p := 1 q := 2` is two rules).
    return rule;
  }

  /** The rule's name and what follows it: `.name` or `[term]` (a string, number or variable). */
  private headRef(): Term[] {
    const c = this.cursor;
    const name = c.name();
    if (name === "_") c.fail("expected a rule name other than _");
    const ref: Term[] = [varTerm(name)];
    for (;;) {
      if (c.atAdjacent(".")) {
        c.next();
        ref.push(stringTerm(this.word()));
      } else if (c.atAdjacent("[")) {
        c.next();
        const key = this.term();
        if (!["string", "number", "var"].includes(key.type))
          c.fail("expected a string, number or variable in a rule head");
        if (key.type === "var" && (key.value as string).startsWith("$")) c.fail("expected no _ in a rule head");
        ref.push(key);
        c.expect("]");
      } else {
        return ref;
      }
    }
  }

  /** `if { query }`, `if expression`, or none: OPA's generated `true`. */
  private ruleBody(): Expr[] {
    const c = this.cursor;
    if (!c.atWord("if")) {
      if (c.at("{")) c.fail("expected if before the rule body");
      return generatedTrueBody();
    }
    c.next();
    if (!c.accept("{")) return [this.literal(0)];
    if (c.accept("}")) return [{ index: 0, terms: term("object", []) }];
    const body = this.query("}");
    c.expect("}");
    return body;
  }

  private elseChain(parent: Json): Json | undefined {
    const c = this.cursor;
    if (!c.atWord("else")) return undefined;
    if (parent.key !== undefined && parent.value === undefined) c.fail("expected no else after contains");
    c.next();
    const head: Json = { ...parent };
    if (c.at(":=") || c.at("=")) {
      head.assign = c.next().text === ":=";
      if (!head.assign) delete head.assign;
      head.value = this.inTerm();
    } else {
      head.value = booleanTerm(true);
    }
    const rule: Json = { head, body: this.ruleBody() };
    // OPA nests each `else` in the one before: a long chain is a deep answer, bounded like brackets.
    const next = c.nested(() => this.elseChain(head));
    if (next !== undefined) rule.else = next;
    return rule;
  }
}

/** `name` and `key` as OPA sets them from the head's ref. */
function nameAndKey(head: Json, ref: Term[], explicitValue: boolean, isFunction: boolean): void {
  const first = ref[0] as Term;
  const last = ref[ref.length - 1] as Term;
  if (ref.length === 1) {
    head.name = first.value;
  } else if (head.key !== undefined) {
    // `a.b contains x`: the key is the element, no name.
  } else if (ref.length === 2 && explicitValue && !isFunction) {
    head.name = first.value;
    head.key = last;
  } else if (ref.length === 2 && !explicitValue && last.type === "var") {
    head.key = last;
  }
}
