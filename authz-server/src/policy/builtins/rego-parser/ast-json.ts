// The JSON OPA answers for Rego AST nodes (ast/term.go and ast/policy.go marshalling, locations
// left out as rego.parse_module leaves them out): a term is {type, value}; an expression is
// {index, terms, negated?, generated?, with?}, its terms either one term or a call's operator ref
// followed by its operands. Numbers keep their literal text, as OPA's json.Number does. Pure.
import { RawRego, type RegoValue } from "../../rego-value.ts";

export type Term = { type: string; value: RegoValue };
export type Expr = { [key: string]: RegoValue };

export const term = (type: string, value: RegoValue): Term => ({ type, value });
export const varTerm = (name: string): Term => term("var", name);
export const stringTerm = (text: string): Term => term("string", text);
export const numberTerm = (literal: string): Term => term("number", new RawRego(literal));
export const booleanTerm = (b: boolean): Term => term("boolean", b);
export const nullTerm = (): Term => term("null", {});
export const refTerm = (parts: Term[]): Term => term("ref", parts);

/** `input` and `data` are always refs in OPA's AST, even alone. */
export const rootOrVar = (name: string): Term =>
  name === "input" || name === "data" ? refTerm([varTerm(name)]) : varTerm(name);

/** The ref naming a builtin, `internal.member_2` included: a var, then strings. */
export function operatorRef(name: string): Term {
  const [head, ...rest] = name.split(".");
  return refTerm([varTerm(head as string), ...rest.map(stringTerm)]);
}

export const callTerm = (operator: Term, args: Term[]): Term => term("call", [operator, ...args]);
export const builtinCall = (name: string, args: Term[]): Term => callTerm(operatorRef(name), args);

/** An expression's `terms`: a call's elements spread, anything else as itself. */
export const exprTerms = (t: Term): RegoValue => (t.type === "call" ? (t.value as RegoValue[]) : t);

export const isVar = (t: Term): boolean => t.type === "var";

/** The body OPA gives a rule written without one: `true`, marked generated. */
export const generatedTrueBody = (): Expr[] => [{ generated: true, index: 0, terms: booleanTerm(true) }];
