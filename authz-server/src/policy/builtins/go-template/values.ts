// The Go values a template sees and makes, modelled in JavaScript. OPA hands text/template the
// vars object decoded from its Rego text with a json.Number decoder, so data holds only
// map[string]interface{}, []interface{}, string, bool, nil and json.Number (a string type that keeps
// the number's digits); template constants and functions add int, float64 and uint8 (a byte that
// index takes from a string). An absent value (a missing map key, Go's invalid reflect.Value) is
// MISSING: printed "<no value>". Pure.

/** json.Number: a number from the data, its literal text kept. Its Go kind is string. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** An integer made by the template: a constant (characters too), len, a range index; or a byte. */
export class GoInt {
  constructor(
    readonly value: bigint,
    readonly type: "int" | "uint8" = "int",
  ) {}
}

/** A float64 constant of the template. */
export class GoFloat {
  constructor(readonly value: number) {}
}

/** map[string]interface{}: keys in any order, iterated in Go's sorted order (sortedKeys). */
export type GoMap = Map<string, GoValue>;

export type GoValue = null | boolean | string | JsonNumber | GoInt | GoFloat | GoValue[] | GoMap;

/** No value at all (Go's invalid reflect.Value): what a missing map key gives. */
export const MISSING: unique symbol = Symbol("missing");
export type Maybe = GoValue | typeof MISSING;

/** A failure Go's template package reports (parse or execution): a builtin error. */
export class TemplateError extends Error {}

/** A construct Go supports and this implementation does not: an error, never other output. */
export class Unsupported extends TemplateError {
  constructor(what: string) {
    super(`${what} is not supported by Meshward's Go template implementation`);
  }
}

/** A bound hit (output size, steps, depth): the evaluation stops. */
export class TemplateLimit extends Error {}

export function isMap(v: Maybe): v is GoMap {
  return v instanceof Map;
}

/** Go's type name, as %T and error messages write it. */
export function typeName(v: Maybe): string {
  if (v === MISSING || v === null) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (v instanceof JsonNumber) return "json.Number";
  if (v instanceof GoInt) return v.type;
  if (v instanceof GoFloat) return "float64";
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]interface {}";
}

/** Go compares strings (map keys) by their UTF-8 bytes. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export function sortedKeys(m: GoMap): string[] {
  return [...m.keys()].sort(compareGoStrings);
}

/** The text of a string-kind value (string or json.Number). */
export function stringKind(v: Maybe): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof JsonNumber) return v.text;
  return undefined;
}
