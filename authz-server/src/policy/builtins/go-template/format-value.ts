// Go's fmt printing of template values: %v (Sprint, Sprintln, and what an action writes) and the
// float64 forms strconv gives. Maps print as map[k:v ...] in sorted key order, slices as [a b],
// nil as <nil>. Pure.
import { GoFloat, GoInt, type GoValue, isMap, JsonNumber, type Maybe, MISSING, sortedKeys } from "./values.ts";

/** A float64 in decimal: value = 0.DIGITS × 10^point, digits without leading or trailing zeros. */
interface Decimal {
  digits: string;
  point: number;
}

/** |x| = mantissa × 2^exponent, exactly: the integer mantissa of a finite double (with its implicit
 *  leading bit unless subnormal) and the binary exponent that goes with it. */
function binaryParts(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return {
    mantissa: biased === 0 ? fraction : fraction | (1n << 52n),
    exponent: (biased === 0 ? 1 : biased) - 1075,
  };
}

/** The exact decimal value of a finite, non-zero double (its binary fraction has one). */
function exactDecimal(x: number): Decimal {
  const { mantissa, exponent } = binaryParts(x);
  let digits: string;
  let point: number;
  if (exponent >= 0) {
    digits = (mantissa << BigInt(exponent)).toString();
    point = digits.length;
  } else {
    digits = (mantissa * 5n ** BigInt(-exponent)).toString();
    point = digits.length + exponent;
  }
  const trimmed = digits.replace(/0+$/, "");
  return { digits: trimmed, point };
}

/** The shortest digits that read back as the same double (as strconv's shortest, and JS's). */
function shortestDecimal(x: number): Decimal {
  const [mantissa, exponent] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "").replace(/0+$/, "");
  return { digits, point: Number(exponent) + 1 };
}

/** `d` rounded to `n` digits, halfway cases to even (strconv rounds the exact value so). */
function roundTo(d: Decimal, n: number): Decimal {
  if (n >= d.digits.length) return d;
  if (n < 0) return { digits: "", point: d.point };
  const next = d.digits.charCodeAt(n) - 48;
  const rest = d.digits.slice(n + 1);
  const previousOdd = n > 0 && (d.digits.charCodeAt(n - 1) - 48) % 2 === 1;
  const up = next > 5 || (next === 5 && (/[1-9]/.test(rest) || previousOdd));
  let kept = d.digits.slice(0, n);
  if (!up) return { digits: kept.replace(/0+$/, ""), point: d.point };
  let i = kept.length - 1;
  while (i >= 0 && kept[i] === "9") i--;
  if (i < 0) return { digits: "1", point: d.point + 1 };
  kept = kept.slice(0, i) + String.fromCharCode(kept.charCodeAt(i) + 1);
  return { digits: kept, point: d.point };
}

function exponentForm(sign: string, d: Decimal, decimals: number, upper: boolean): string {
  const digits = (d.digits || "0").padEnd(decimals + 1, "0");
  const exp = d.digits === "" ? 0 : d.point - 1;
  const mantissa = decimals > 0 ? `${digits[0]}.${digits.slice(1, decimals + 1)}` : (digits[0] as string);
  return `${sign}${mantissa}${upper ? "E" : "e"}${exp < 0 ? "-" : "+"}${Math.abs(exp).toString().padStart(2, "0")}`;
}

function fixedForm(sign: string, d: Decimal, decimals: number): string {
  const whole = d.point > 0 ? d.digits.slice(0, d.point).padEnd(d.point, "0") : "0";
  const fraction = d.point >= 0 ? d.digits.slice(d.point) : "0".repeat(-d.point) + d.digits;
  const decimalsText = fraction.padEnd(decimals, "0").slice(0, decimals);
  return `${sign}${whole}${decimals > 0 ? `.${decimalsText}` : ""}`;
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  return undefined;
}

const signOf = (x: number) => (x < 0 || Object.is(x, -0) ? "-" : "");
const ZERO: Decimal = { digits: "", point: 0 };

/** %g (and %v) with precision `precision` (-1: shortest, then exponents from 10^6 up, as strconv). */
export function formatG(x: number, precision: number, upper = false): string {
  const s = special(x);
  if (s !== undefined) return s;
  const shortest = precision < 0;
  const p = shortest ? 0 : Math.max(precision, 1);
  const d = x === 0 ? ZERO : shortest ? shortestDecimal(x) : roundTo(exactDecimal(x), p);
  const nd = Math.max(d.digits.length, 1);
  const point = x === 0 ? 1 : d.point;
  let eprec = shortest ? 6 : p;
  if (!shortest && eprec > nd && nd >= point) eprec = nd;
  const exp = point - 1;
  const prec = shortest ? nd : Math.min(p, nd);
  if (exp < -4 || exp >= eprec) return exponentForm(signOf(x), d, prec - 1, upper);
  const decimals = Math.max((shortest || prec > point ? nd : prec) - point, 0);
  return fixedForm(signOf(x), x === 0 ? { digits: "", point: 1 } : d, decimals);
}

export function formatE(x: number, precision: number, upper = false): string {
  const s = special(x);
  if (s !== undefined) return s;
  const d = x === 0 ? ZERO : roundTo(exactDecimal(x), precision + 1);
  return exponentForm(signOf(x), d, precision, upper);
}

export function formatF(x: number, precision: number): string {
  const s = special(x);
  if (s !== undefined) return s;
  const d = x === 0 ? ZERO : exactDecimal(x);
  return fixedForm(signOf(x), roundTo(d, d.point + precision), precision);
}

/** %x / %X of a float64: hexadecimal mantissa 1.hhh, binary exponent (0x1.8p+00), the mantissa
 *  rounded half to even to `precision` hex digits (-1: as few as exact). */
export function formatHexFloat(x: number, precision: number, upper: boolean): string {
  const s = special(x);
  if (s !== undefined) return s;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exp = biased - 1023;
  let lead = 1n;
  if (biased === 0) {
    // Zero, or a subnormal brought to the form 1.hhh like the others.
    exp = mantissa === 0n ? 0 : -1022;
    lead = 0n;
    while (mantissa !== 0n && lead === 0n) {
      mantissa <<= 1n;
      exp--;
      if (mantissa >> 52n === 1n) {
        lead = 1n;
        mantissa &= (1n << 52n) - 1n;
        exp++;
      }
    }
    if (lead === 1n) exp--;
  }
  let digits: string;
  if (precision >= 0 && precision < 13) {
    const drop = BigInt(52 - 4 * precision);
    const rest = mantissa & ((1n << drop) - 1n);
    const half = 1n << (drop - 1n);
    let kept = mantissa >> drop;
    // Halfway rounds to even: the last kept hex digit's low bit, or the leading 1 when none is kept.
    const odd = precision === 0 ? lead === 1n : (kept & 1n) === 1n;
    if (rest > half || (rest === half && odd)) kept++;
    if (kept >> BigInt(4 * precision) === 1n) {
      kept = 0n;
      if (lead === 1n) exp++;
      else lead = 1n;
    }
    digits = precision > 0 ? kept.toString(16).padStart(precision, "0") : "";
  } else {
    digits = mantissa.toString(16).padStart(13, "0");
    digits = precision < 0 ? digits.replace(/0+$/, "") : digits.padEnd(precision, "0");
  }
  const text = `${signOf(x)}0x${lead}${digits ? `.${digits}` : ""}p${exp < 0 ? "-" : "+"}${Math.abs(exp).toString().padStart(2, "0")}`;
  return upper ? text.toUpperCase() : text;
}

/** %b of a float64: the integer mantissa and the binary exponent (6755399441055744p-52). */
export function formatBinaryFloat(x: number): string {
  const s = special(x);
  if (s !== undefined) return s;
  const { mantissa, exponent: exp } = binaryParts(x);
  return `${signOf(x)}${mantissa}p${exp < 0 ? "-" : "+"}${Math.abs(exp)}`;
}

/** fmt's %v of one value. */
export function formatValue(v: Maybe): string {
  if (v === MISSING || v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  if (v instanceof JsonNumber) return v.text;
  if (v instanceof GoInt) return v.value.toString();
  if (v instanceof GoFloat) return formatG(v.value, -1);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(" ")}]`;
  if (isMap(v))
    return `map[${sortedKeys(v)
      .map((k) => `${k}:${formatValue(v.get(k) as GoValue)}`)
      .join(" ")}]`;
  return "<nil>";
}

/** What an action {{pipeline}} writes: an absent value (or nil) is "<no value>". */
export function actionText(v: Maybe): string {
  return v === MISSING || v === null ? "<no value>" : formatValue(v);
}

/** fmt.Sprint: a space between operands when neither is a string (json.Number is one). */
export function sprint(args: Maybe[]): string {
  const isString = (v: Maybe) => typeof v === "string" || v instanceof JsonNumber;
  return args
    .map((a, i) => (i > 0 && !isString(a) && !isString(args[i - 1] as Maybe) ? " " : "") + formatValue(a))
    .join("");
}

export function sprintln(args: Maybe[]): string {
  return `${args.map(formatValue).join(" ")}\n`;
}
