// Exact JSON numbers, as gojsonschema reads them with big.Rat: a value is mantissa × 10^exponent
// with bigint mantissa, so comparisons, integer tests and multipleOf are exact for any literal
// (0.1 + 0.2 style rounding never decides a check). Messages print limits as Go's fmt prints the
// *big.Float made from the rational (SetRat: precision max(64, bits of numerator, bits of
// denominator); %v is %g with the shortest digits that identify it and %e from exponent -4 or 6).
// Pure.
import { fail } from "../operands.ts";
import type { JsonNumber } from "./json-node.ts";

export interface Decimal {
  mantissa: bigint;
  exponent: number;
}

/** Largest decimal exponent a number may have here: larger ones would need huge powers of ten.
 *  (Literals themselves are at most 400 characters: longer ones fail in the Rego value parser.) */
const EXPONENT_LIMIT = 4000;

export function decimalOf(n: JsonNumber): Decimal {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(n.text);
  if (!m) return fail(`json schema: not a number: ${n.text}`);
  const fraction = m[3] ?? "";
  const exponent = Number(m[4] ?? "0") - fraction.length;
  const mantissa = BigInt(`${m[1]}${m[2]}${fraction}`);
  if (mantissa !== 0n && Math.abs(exponent) > EXPONENT_LIMIT) fail(`json schema: number out of range: ${n.text}`);
  return mantissa === 0n ? { mantissa: 0n, exponent: 0 } : { mantissa, exponent };
}

const TEN = 10n;

/** Both mantissas at the smaller exponent. */
function aligned(a: Decimal, b: Decimal): [bigint, bigint] {
  const e = Math.min(a.exponent, b.exponent);
  return [a.mantissa * TEN ** BigInt(a.exponent - e), b.mantissa * TEN ** BigInt(b.exponent - e)];
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isInteger(d: Decimal): boolean {
  return d.exponent >= 0 || d.mantissa % TEN ** BigInt(-d.exponent) === 0n;
}

/** Whether a / b is an integer (b > 0). */
export function isMultipleOf(a: Decimal, b: Decimal): boolean {
  const [x, y] = aligned(a, b);
  return x % y === 0n;
}

/** The significant digits (no trailing zeros) and Go's decimal exponent: value = 0.digits × 10^point. */
function digitsOf(d: Decimal): { negative: boolean; digits: string; point: number } {
  const negative = d.mantissa < 0n;
  let digits = (negative ? -d.mantissa : d.mantissa).toString();
  let exponent = d.exponent;
  while (digits.length > 1 && digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    exponent++;
  }
  return { negative, digits, point: digits.length + exponent };
}

/** Significant digits up to which a fraction's shortest %g form is its own digits (a 64-bit mantissa
 *  tells apart decimals of 17 digits, so none shorter lies within its rounding interval). */
const EXACT_FRACTION_DIGITS = 17;

/** Whether `goNumberText` prints `d` as Go does; checked when a schema is compiled. */
export function printable(d: Decimal): boolean {
  return isInteger(d) || digitsOf(d).digits.length <= EXACT_FRACTION_DIGITS;
}

/** fmt's %v of new(big.Float).SetRat(d): integers are exact at SetRat's precision, so their
 *  shortest digits are their own; fractions are limited by `printable`. */
export function goNumberText(d: Decimal): string {
  if (d.mantissa === 0n) return "0";
  const { negative, digits, point } = digitsOf(d);
  const sign = negative ? "-" : "";
  const exp = point - 1;
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mantissa}e${exp < 0 ? "-" : "+"}${abs < 10 ? "0" : ""}${abs}`;
  }
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Go's json.Marshal of the float64 the number decodes to (gojsonschema's marshalWithoutNumber,
 *  which enum, const and uniqueItems compare): shortest round-trip digits, exponent form below
 *  1e-6 and from 1e21, "-0" kept. A number beyond float64 is a failure in Go too. */
export function goFloatText(n: JsonNumber): string {
  const value = Number(n.text);
  if (!Number.isFinite(value)) return fail(`json schema: number out of float64 range: ${n.text}`);
  return Object.is(value, -0) ? "-0" : JSON.stringify(value);
}
