// Go's fmt.Sprintf for template values: flags (+ - # space 0), width and precision (also * and
// [n] argument indexes), the verbs for each type (v s q x X d b o O c U t e E f F g G T and %%),
// Go syntax (%#v), element-wise formatting of slices and maps, and fmt's in-band errors
// (%!d(string=x), %!d(MISSING), %!(EXTRA int=2), %!(NOVERB), %!d(BADINDEX)). json.Number is a
// Stringer, so v s q x X print its text. What this does not format (%p of a slice or map, an
// address; %#v of one with a width) is an error. Pure.
import { formatBinaryFloat, formatE, formatF, formatG, formatHexFloat, formatValue } from "./format-value.ts";
import {
  GoFloat,
  GoInt,
  type GoValue,
  isMap,
  JsonNumber,
  type Maybe,
  MISSING,
  sortedKeys,
  typeName,
  Unsupported,
} from "./values.ts";

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  precision?: number;
}

const runeCount = (s: string) => Array.from(s).length;

/** Pads to the width: spaces, or with the 0 flag zeros (after a number's sign; never for
 *  infinities and NaN, `zeros` false). */
function pad(text: string, f: Flags, zeros: "text" | "number" | false = "text"): string {
  if (f.width === undefined) return text;
  const missing = f.width - runeCount(text);
  if (missing <= 0) return text;
  if (f.minus) return text + " ".repeat(missing);
  if (f.zero && zeros !== false) {
    const sign = zeros === "number" && /^[+\- ]/.test(text) ? (text[0] as string) : "";
    return sign + "0".repeat(missing) + text.slice(sign.length);
  }
  return " ".repeat(missing) + text;
}

/** strconv.Quote: Go's escapes, non-printable runes as \u / \U, printable ones as themselves. */
export function goQuote(s: string, asciiOnly = false, quote = '"'): string {
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (code < 0x80 && code >= 0x20 && code !== 0x7f) out += ch;
    else if (!asciiOnly && code >= 0x80 && /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) out += ch;
    else {
      const named: Record<number, string> = {
        7: "\\a",
        8: "\\b",
        12: "\\f",
        10: "\\n",
        13: "\\r",
        9: "\\t",
        11: "\\v",
      };
      if (named[code]) out += named[code];
      else if (code < 0x80) out += `\\x${code.toString(16).padStart(2, "0")}`;
      else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
      else out += `\\U${code.toString(16).padStart(8, "0")}`;
    }
  }
  return out + quote;
}

/** strconv.CanBackquote: no backquote, no control character but tab, no DEL or BOM. */
function canBackquote(s: string): boolean {
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === "`" || (code < 0x20 && code !== 0x09) || code === 0x7f || code === 0xfeff) return false;
  }
  return true;
}

function formatString(s: string, verb: string, f: Flags): string | undefined {
  // The precision counts runes, for %x bytes.
  const truncated = f.precision !== undefined ? Array.from(s).slice(0, f.precision).join("") : s;
  switch (verb) {
    case "v":
    case "s":
      return pad(truncated, f);
    case "q":
      if (f.sharp && canBackquote(truncated)) return pad(`\`${truncated}\``, f);
      return pad(goQuote(truncated, f.plus), f);
    case "x":
    case "X": {
      const all = Buffer.from(s, "utf8");
      const bytes = [...all.subarray(0, f.precision ?? all.length)].map((b) => b.toString(16).padStart(2, "0"));
      // The # flag prefixes 0x once, or each byte when the space flag separates them.
      const text =
        f.sharp && !f.space && bytes.length > 0
          ? `0x${bytes.join("")}`
          : bytes.map((b) => (f.sharp ? `0x${b}` : b)).join(f.space ? " " : "");
      return pad(verb === "X" ? text.toUpperCase() : text, f);
    }
    default:
      return undefined;
  }
}

function formatInteger(n: bigint, verb: string, f: Flags): string | undefined {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let digits: string;
  let prefix = "";
  switch (verb) {
    case "v":
    case "d":
      digits = abs.toString(10);
      break;
    case "b":
      digits = abs.toString(2);
      if (f.sharp) prefix = "0b";
      break;
    case "o":
    case "O":
      digits = abs.toString(8);
      if (verb === "O") prefix = "0o";
      else if (f.sharp) prefix = "0";
      break;
    case "x":
    case "X":
      digits = abs.toString(16);
      if (f.sharp) prefix = "0x";
      if (verb === "X") {
        digits = digits.toUpperCase();
        prefix = prefix.toUpperCase();
      }
      break;
    case "c":
      return pad(String.fromCodePoint(validRune(n)), f);
    case "q":
      return pad(goQuote(String.fromCodePoint(validRune(n)), f.plus, "'"), f);
    case "U": {
      // Go prints the integer as a uint64: -2 is U+FFFFFFFFFFFFFFFE.
      const u = `U+${BigInt.asUintN(64, n).toString(16).toUpperCase().padStart(4, "0")}`;
      return pad(f.sharp ? `${u} '${String.fromCodePoint(validRune(n))}'` : u, f);
    }
    default:
      return undefined;
  }
  if (f.precision !== undefined) {
    if (f.precision === 0 && n === 0n) return pad("", f, false);
    digits = digits.padStart(f.precision, "0");
  } else if (f.zero && !f.minus && f.width !== undefined) {
    const signWidth = negative || f.plus || f.space ? 1 : 0;
    digits = digits.padStart(f.width - signWidth - prefix.length, "0");
  }
  const sign = negative ? "-" : f.plus ? "+" : f.space ? " " : "";
  return pad(sign + prefix + digits, f, false);
}

function validRune(n: bigint): number {
  return n < 0n || n > 0x10ffffn || (n >= 0xd800n && n <= 0xdfffn) ? 0xfffd : Number(n);
}

/** fmt's # flag on a formatted float: always a decimal point; for %g, %G and %x (not %X) as many
 *  significant characters as the precision (6 without one), counted as fmt counts them. */
function sharpFloat(text: string, verb: string, precision: number | undefined): string {
  const signed = /^[+\- ]/.test(text) ? text : `+${text}`;
  let digits = "gGx".includes(verb) ? (precision ?? 6) : 0;
  let num = signed;
  let tail = "";
  let hasPoint = false;
  let sawNonzero = false;
  for (let i = 1; i < num.length; i++) {
    const c = num[i] as string;
    if (c === ".") hasPoint = true;
    else if (c === "p" || c === "P" || ((c === "e" || c === "E") && verb !== "x" && verb !== "X")) {
      tail = num.slice(i);
      num = num.slice(0, i);
      break;
    } else {
      if (c !== "0") sawNonzero = true;
      if (sawNonzero) digits--;
    }
  }
  if (!hasPoint) {
    if (num.length === 2 && num[1] === "0") digits--;
    num += ".";
  }
  if (digits > 0) num += "0".repeat(digits);
  num += tail;
  return signed === text ? num : num.slice(1);
}

function formatFloat(x: number, verb: string, f: Flags): string | undefined {
  let text: string;
  switch (verb) {
    case "v":
    case "g":
    case "G":
      text = formatG(x, f.precision ?? -1, verb === "G");
      break;
    case "e":
    case "E":
      text = formatE(x, f.precision ?? 6, verb === "E");
      break;
    case "f":
    case "F":
      text = formatF(x, f.precision ?? 6);
      break;
    case "x":
    case "X":
      text = formatHexFloat(x, f.precision ?? -1, verb === "X");
      break;
    case "b":
      text = formatBinaryFloat(x);
      break;
    default:
      return undefined;
  }
  if (!text.startsWith("-") && (f.plus || f.space)) text = (f.plus ? "+" : " ") + text;
  if (/Inf|NaN/.test(text)) return pad(text, f, false);
  if (f.sharp && verb !== "b") text = sharpFloat(text, verb, f.precision);
  return pad(text, f, "number");
}

function formatOne(arg: Maybe, verb: string, f: Flags, depth: number): string {
  if (verb === "T") return pad(typeName(arg), f);
  if (verb === "v" && f.sharp) return goSyntax(arg, f);
  if (verb === "p" && (Array.isArray(arg) || isMap(arg))) throw new Unsupported("%p of a slice or map (an address)");
  if (arg === MISSING || arg === null) {
    // A nil element of a slice or map is written unpadded whatever the verb; a nil argument is padded.
    if (depth > 0) return "<nil>";
    return verb === "v" ? pad("<nil>", f) : badVerb(arg, verb, f);
  }
  let text: string | undefined;
  if (typeof arg === "boolean") text = verb === "t" || verb === "v" ? pad(String(arg), f) : undefined;
  else if (typeof arg === "string") text = formatString(arg, verb, f);
  else if (arg instanceof JsonNumber) text = "vsqxX".includes(verb) ? formatString(arg.text, verb, f) : undefined;
  else if (arg instanceof GoInt) text = formatInteger(arg.value, verb, f);
  else if (arg instanceof GoFloat) text = formatFloat(arg.value, verb, f);
  else if (Array.isArray(arg)) text = `[${arg.map((item) => formatOne(item, verb, f, depth + 1)).join(" ")}]`;
  else if (isMap(arg)) {
    const entries = sortedKeys(arg).map(
      (k) => `${formatOne(k, verb, f, depth + 1)}:${formatOne(arg.get(k) as GoValue, verb, f, depth + 1)}`,
    );
    text = `map[${entries.join(" ")}]`;
  }
  return text ?? badVerb(arg, verb, f);
}

/** %#v: Go syntax, for the scalars whose Go syntax is plain. */
function goSyntax(arg: Maybe, f: Flags): string {
  const composite = Array.isArray(arg) || isMap(arg);
  if (composite && f.width !== undefined) throw new Unsupported("%#v with a width of a slice or map");
  return composite ? goSyntaxOf(arg, 0) : pad(goSyntaxOf(arg, 0), f);
}

/** A value in Go syntax: "s", 1, []interface {}{"1", interface {}(nil)}, map[string]interface {}{"k":"v"}. */
function goSyntaxOf(arg: Maybe, depth: number): string {
  if (arg === MISSING || arg === null) return depth > 0 ? "interface {}(nil)" : "<nil>";
  if (typeof arg === "string" || arg instanceof JsonNumber) return goQuote(formatValue(arg));
  if (typeof arg === "boolean" || arg instanceof GoInt) return formatValue(arg);
  if (arg instanceof GoFloat) return formatG(arg.value, -1);
  if (Array.isArray(arg)) return `[]interface {}{${arg.map((item) => goSyntaxOf(item, depth + 1)).join(", ")}}`;
  const entries = sortedKeys(arg).map((k) => `${goQuote(k)}:${goSyntaxOf(arg.get(k) as GoValue, depth + 1)}`);
  return `map[string]interface {}{${entries.join(", ")}}`;
}

/** %!verb(type=value): the value as %v, with the verb's flags, width and precision. */
function badVerb(arg: Maybe, verb: string, f: Flags): string {
  if (arg === MISSING || arg === null) return `%!${verb}(<nil>)`;
  // fmt prints the value with %v and the verb's flags; # stays a plain flag there, not Go syntax.
  return `%!${verb}(${typeName(arg)}=${formatOne(arg, "v", { ...f, sharp: false }, 0)})`;
}

/** One Sprintf: the position in the format and the next argument. */
class Printf {
  i = 0;
  argNum = 0;
  reordered = false;

  constructor(
    readonly format: string,
    readonly args: Maybe[],
  ) {}

  /** An explicit argument index [n], if one stands here; false when it is bad. Like fmt, a "["
   *  without "]" (or fewer than 3 characters left) skips just the "[". */
  argIndex(): boolean {
    const { format } = this;
    if (format[this.i] !== "[") return true;
    this.reordered = true;
    const rest = format.slice(this.i);
    const close = rest.length < 3 ? -1 : rest.indexOf("]", 1);
    const text = close === -1 ? "" : rest.slice(1, close);
    this.i += close === -1 ? 1 : close + 1;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > 1_000_000 || n < 1 || n > this.args.length) return false;
    this.argNum = n - 1;
    return true;
  }

  /** A * width or precision: the next argument, if it is an integer of sane size. */
  intArg(): number | undefined {
    const a = this.args[this.argNum++];
    return a instanceof GoInt && a.value <= 1_000_000n && a.value >= -1_000_000n ? Number(a.value) : undefined;
  }
}

/** fmt.Sprintf(format, args...). */
export function sprintf(format: string, args: Maybe[]): string {
  const p = new Printf(format, args);
  let out = "";
  while (p.i < format.length) {
    const percent = format.indexOf("%", p.i);
    if (percent === -1) {
      out += format.slice(p.i);
      break;
    }
    out += format.slice(p.i, percent);
    p.i = percent + 1;
    const f: Flags = { plus: false, minus: false, sharp: false, space: false, zero: false };
    for (; p.i < format.length; p.i++) {
      const c = format[p.i];
      if (c === "+") f.plus = true;
      else if (c === "-") f.minus = true;
      else if (c === "#") f.sharp = true;
      else if (c === " ") f.space = true;
      else if (c === "0") f.zero = true;
      else break;
    }
    let goodIndex = p.argIndex();
    if (format[p.i] === "*") {
      p.i++;
      const w = p.intArg();
      if (w === undefined) out += "%!(BADWIDTH)";
      else if (w < 0) {
        f.minus = true;
        f.width = -w;
      } else f.width = w;
      goodIndex = p.argIndex() && goodIndex;
    } else {
      const m = /^\d+/.exec(format.slice(p.i));
      if (m) {
        f.width = Number(m[0]);
        p.i += m[0].length;
      }
    }
    if (format[p.i] === ".") {
      p.i++;
      goodIndex = p.argIndex() && goodIndex;
      if (format[p.i] === "*") {
        p.i++;
        const precision = p.intArg();
        if (precision === undefined || precision < 0) out += "%!(BADPREC)";
        else f.precision = precision;
        goodIndex = p.argIndex() && goodIndex;
      } else {
        const m = /^\d*/.exec(format.slice(p.i)) as RegExpExecArray;
        f.precision = m[0] === "" ? 0 : Number(m[0]);
        p.i += m[0].length;
      }
    }
    if (p.i >= format.length) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(p.i) as number);
    p.i += verb.length;
    if (verb === "%") out += "%";
    else if (!goodIndex) out += `%!${verb}(BADINDEX)`;
    else if (p.argNum >= args.length) out += `%!${verb}(MISSING)`;
    else if (verb === "w") throw new Unsupported("%w");
    else {
      if (f.minus) f.zero = false;
      // With %v the + flag means %+v (field names of structs, which template values never are).
      if (verb === "v") f.plus = false;
      out += formatOne(args[p.argNum++] as Maybe, verb, f, 0);
    }
  }
  if (!p.reordered && p.argNum < args.length) {
    const extra = args
      .slice(p.argNum)
      .map((a) => (a === MISSING || a === null ? "<nil>" : `${typeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}
