// The functions Go predefines for templates (funcs.go's builtins), with their parameters as Go
// declares them: the executor checks argument counts and types against these before calling.
// `and` and `or` short-circuit, so the executor evaluates them itself. Pure.
import { sprint, sprintln } from "./format-value.ts";
import { eq, html, index, js, le, len, lt, slice, truth, urlquery } from "./functions.ts";
import { sprintf } from "./printf.ts";
import { type Maybe, MISSING, TemplateError, typeName } from "./values.ts";

/** A parameter's Go type: reflect.Value (any value, even none), interface {} (none becomes nil),
 *  string (only a string). */
export type Param = "value" | "any" | "string";

export interface FunctionSpec {
  /** The fixed parameters; `variadic`, the type of any more. */
  params: Param[];
  variadic?: Param;
  /** `wrapped[i]`: argument i is typed interface {} (a value from the data not yet unwrapped);
   *  `text(i)`: argument i as the template wrote it. */
  call: (args: Maybe[], wrapped: boolean[], text: (i: number) => string) => Maybe;
}

const cmp = (f: (a: Maybe, b: Maybe) => boolean): FunctionSpec => ({
  params: ["value", "value"],
  call: ([a, b]) => f(a as Maybe, b as Maybe),
});

export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  not: { params: ["value"], call: ([a]) => !truth(a as Maybe) },
  len: { params: ["value"], call: ([a]) => len(a as Maybe) },
  index: { params: ["value"], variadic: "value", call: ([item, ...rest]) => index(item as Maybe, rest) },
  slice: {
    params: ["value"],
    variadic: "value",
    call: ([item, ...rest], [, ...wrapped]) => slice(item as Maybe, rest, wrapped),
  },
  print: { params: [], variadic: "any", call: (args) => sprint(args) },
  println: { params: [], variadic: "any", call: (args) => sprintln(args) },
  printf: { params: ["string"], variadic: "any", call: ([format, ...rest]) => sprintf(format as string, rest) },
  html: { params: [], variadic: "any", call: html },
  js: { params: [], variadic: "any", call: js },
  urlquery: { params: [], variadic: "any", call: urlquery },
  eq: { params: ["value"], variadic: "value", call: ([a, ...rest]) => eq(a as Maybe, rest) },
  ne: cmp((a, b) => !eq(a, [b])),
  lt: cmp(lt),
  le: cmp(le),
  gt: cmp((a, b) => !le(a, b)),
  ge: cmp((a, b) => !lt(a, b)),
  call: { params: ["value"], variadic: "value", call: ([fn], _wrapped, text) => callFunction(text(0), fn as Maybe) },
  // and/or: evaluated lazily by the executor; declared here for their argument count.
  and: { params: ["value"], variadic: "value", call: () => null },
  or: { params: ["value"], variadic: "value", call: () => null },
};

/** Go's `call`: the data holds no functions, so every call fails as Go's does on a non-function. */
function callFunction(name: string, fn: Maybe): never {
  if (fn === null || fn === MISSING) throw new TemplateError("call of nil");
  throw new TemplateError(`non-function ${name} of type ${typeName(fn)}`);
}
