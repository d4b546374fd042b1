// The functions Go predefines for templates, on the values of values.ts, with Go's semantics and
// error texts (funcs.go): comparisons by "basic kind" (json.Number compares as a string, 1 and
// json.Number 1 are incompatible), index/slice/len on bytes for strings, the html/js/urlquery
// escapers. `and`/`or` short-circuit, so they live in the executor. An argument may be null (a nil
// from the data) or MISSING (no value at all: a missing key, a nil literal), which Go tells apart
// in a few messages. Pure.
import { sprint } from "./format-value.ts";
import { sprintf } from "./printf.ts";
import {
  compareGoStrings,
  GoFloat,
  GoInt,
  type GoValue,
  isMap,
  JsonNumber,
  type Maybe,
  MISSING,
  stringKind,
  TemplateError,
  typeName,
  Unsupported,
} from "./values.ts";

type Kind = "bool" | "int" | "float" | "string" | "invalid";

function basicKind(v: Maybe): Kind {
  if (typeof v === "boolean") return "bool";
  if (v instanceof GoInt) return "int";
  if (v instanceof GoFloat) return "float";
  if (stringKind(v) !== undefined) return "string";
  return "invalid";
}

const isNil = (v: Maybe) => v === null || typeof v === "symbol";
const incompatible = (a: Maybe, b: Maybe) =>
  new TemplateError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);

function sameKindEqual(a: Maybe, b: Maybe, kind: Kind): boolean {
  switch (kind) {
    case "bool":
      return a === b;
    case "int":
      return (a as GoInt).value === (b as GoInt).value;
    case "float":
      return (a as GoFloat).value === (b as GoFloat).value;
    case "string":
      return stringKind(a) === stringKind(b);
    default:
      if (isNil(a) || isNil(b)) return isNil(a) === isNil(b);
      if (typeName(a) !== typeName(b)) {
        throw new TemplateError(
          `non-comparable types ${sprintf("%s", [a])}: ${typeName(a)}, ${typeName(b)}: ${sprintf("%v", [b])}`,
        );
      }
      throw new TemplateError(`non-comparable type ${sprintf("%s", [b])}: ${typeName(b)}`);
  }
}

export function eq(a: Maybe, others: Maybe[]): boolean {
  if (others.length === 0) throw new TemplateError("missing argument for comparison");
  const k1 = basicKind(a);
  for (const b of others) {
    const k2 = basicKind(b);
    if (k1 !== k2) {
      if (!isNil(a) && !isNil(b)) throw incompatible(a, b);
    } else if (sameKindEqual(a, b, k1)) return true;
  }
  return false;
}

export function lt(a: Maybe, b: Maybe): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === "invalid" || k2 === "invalid") throw new TemplateError("invalid type for comparison");
  if (k1 !== k2) throw incompatible(a, b);
  switch (k1) {
    case "int":
      return (a as GoInt).value < (b as GoInt).value;
    case "float":
      return (a as GoFloat).value < (b as GoFloat).value;
    case "string":
      return compareGoStrings(stringKind(a) as string, stringKind(b) as string) < 0;
    default:
      throw new TemplateError("invalid type for comparison");
  }
}

export const le = (a: Maybe, b: Maybe) => lt(a, b) || eq(a, [b]);

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function truth(v: Maybe): boolean {
  if (isNil(v)) return false;
  if (typeof v === "boolean") return v;
  if (v instanceof GoInt) return v.value !== 0n;
  if (v instanceof GoFloat) return v.value !== 0;
  if (v instanceof JsonNumber) return v.text !== "";
  if (typeof v === "string" || Array.isArray(v)) return v.length > 0;
  return (v as Map<string, GoValue>).size > 0;
}

export function len(v: Maybe): GoInt {
  if (v === MISSING) throw new TemplateError("reflect: call of reflect.Value.Type on zero Value");
  if (isNil(v)) throw new TemplateError("len of nil pointer");
  const text = stringKind(v);
  if (text !== undefined) return new GoInt(BigInt(Buffer.byteLength(text, "utf8")));
  if (Array.isArray(v)) return new GoInt(BigInt(v.length));
  if (isMap(v)) return new GoInt(BigInt(v.size));
  throw new TemplateError(`len of type ${typeName(v)}`);
}

/** `wrapped`: the index is still typed interface {} (slice does not unwrap its indexes, index does). */
function indexArg(index: Maybe, cap: number, wrapped = false): number {
  if (index === MISSING || (isNil(index) && !wrapped)) throw new TemplateError("cannot index slice/array with nil");
  if (wrapped) throw new TemplateError("cannot index slice/array with type interface {}");
  if (!(index instanceof GoInt)) throw new TemplateError(`cannot index slice/array with type ${typeName(index)}`);
  if (index.value < 0n || index.value > BigInt(cap)) throw new TemplateError(`index out of range: ${index.value}`);
  return Number(index.value);
}

export function index(item: Maybe, indexes: Maybe[]): Maybe {
  if (isNil(item)) throw new TemplateError("index of untyped nil");
  let current: Maybe = item;
  for (const i of indexes) {
    if (isNil(current)) throw new TemplateError("index of nil pointer");
    const text = stringKind(current);
    if (text !== undefined || Array.isArray(current)) {
      const bytes = text === undefined ? undefined : Buffer.from(text, "utf8");
      const length: number = bytes ? bytes.length : (current as GoValue[]).length;
      const x = indexArg(i, length);
      if (x === length) throw new TemplateError(`reflect: ${bytes ? "string" : "slice"} index out of range`);
      current = bytes ? new GoInt(BigInt(bytes[x] as number), "uint8") : ((current as GoValue[])[x] as GoValue);
    } else if (isMap(current)) {
      if (isNil(i)) throw new TemplateError("value is nil; should be of type string");
      if (typeof i !== "string") throw new TemplateError(`value has type ${typeName(i)}; should be string`);
      current = current.get(i) ?? null;
    } else throw new TemplateError(`can't index item of type ${typeName(current)}`);
  }
  return current;
}

/** Where a slice's elements live: Go's slices share their backing array, and may see past their
 *  length up to their capacity. */
interface Backing {
  array: GoValue[];
  offset: number;
  cap: number;
}
const backings = new WeakMap<GoValue[], Backing>();

/** A decoded JSON array's capacity: Go's decoder appends one by one, doubling from 1 (16-byte
 *  elements keep every power of two up to 256 a size class); past 256, unknown here. */
function backingOf(array: GoValue[]): Backing | undefined {
  const known = backings.get(array);
  if (known) return known;
  if (array.length > 256) return undefined;
  const cap = array.length === 0 ? 0 : 2 ** Math.ceil(Math.log2(array.length));
  return { array, offset: 0, cap };
}

function sliceArray(item: GoValue[], indexes: Maybe[], wrapped: boolean[]): GoValue[] {
  const backing = backingOf(item);
  const cap = backing?.cap ?? item.length;
  const idx = [0, item.length, cap];
  indexes.forEach((i, k) => {
    idx[k] = indexArg(i, cap, wrapped[k]);
  });
  const [from, to, max] = idx as [number, number, number];
  if (from > to) throw new TemplateError(`invalid slice index: ${from} > ${to}`);
  if (indexes.length === 3 && to > max) throw new TemplateError(`invalid slice index: ${to} > ${max}`);
  if (!backing) {
    if (to > item.length) throw new Unsupported("slicing past the length of an array longer than 256");
    return item.slice(from, to);
  }
  const start = backing.offset + from;
  const result = Array.from({ length: to - from }, (_, k) => backing.array[start + k] ?? null);
  backings.set(result, { array: backing.array, offset: start, cap: (indexes.length === 3 ? max : cap) - from });
  return result;
}

/** Go's slice; `wrapped[k]`: index k came from the data (a field), typed interface {}. */
export function slice(item: Maybe, indexes: Maybe[], wrapped: boolean[] = []): Maybe {
  if (isNil(item)) throw new TemplateError("slice of untyped nil");
  if (indexes.length > 3) throw new TemplateError(`too many slice indexes: ${indexes.length}`);
  if (Array.isArray(item)) return sliceArray(item, indexes, wrapped);
  const text = stringKind(item);
  if (text === undefined) throw new TemplateError(`can't slice item of type ${typeName(item)}`);
  if (indexes.length === 3) throw new TemplateError("cannot 3-index slice a string");
  const bytes = Buffer.from(text, "utf8");
  const idx = [0, bytes.length];
  indexes.forEach((i, k) => {
    idx[k] = indexArg(i, bytes.length, wrapped[k]);
  });
  const [from, to] = idx as [number, number];
  if (from > to) throw new TemplateError(`invalid slice index: ${from} > ${to}`);
  let sliced: string;
  try {
    sliced = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(from, to));
  } catch {
    throw new Unsupported("slicing a string inside a UTF-8 sequence");
  }
  return item instanceof JsonNumber ? new JsonNumber(sliced) : sliced;
}

/** The text html/js/urlquery escape: a lone string as is, else fmt.Sprint of the arguments. */
function evalArgs(args: Maybe[]): string {
  if (args.length === 1 && typeof args[0] === "string") return args[0];
  // Go's printableValue turns a nil into the string "<no value>" first (so no space around it).
  return sprint(args.map((a) => (isNil(a) ? "<no value>" : a)));
}

const HTML_ESCAPES: Record<string, string> = {
  "\0": "\ufffd",
  '"': "&#34;",
  "'": "&#39;",
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
};

export function html(args: Maybe[]): string {
  return evalArgs(args).replace(/[\0"'&<>]/g, (c) => HTML_ESCAPES[c] as string);
}

const JS_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "'": "\\'",
  '"': '\\"',
  "<": "\\u003C",
  ">": "\\u003E",
  "&": "\\u0026",
  "=": "\\u003D",
};

export function js(args: Maybe[]): string {
  let out = "";
  for (const ch of evalArgs(args)) {
    const code = ch.codePointAt(0) as number;
    if (JS_ESCAPES[ch]) out += JS_ESCAPES[ch];
    else if (code < 0x20) out += `\\u00${code.toString(16).toUpperCase().padStart(2, "0")}`;
    else if (code >= 0x80 && !/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    } else out += ch;
  }
  return out;
}

/** url.QueryEscape: unreserved bytes kept, space as +, the rest %XX. */
export function urlquery(args: Maybe[]): string {
  return [...Buffer.from(evalArgs(args), "utf8")]
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
      return c === " " ? "+" : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}
