// Go's literal syntax inside actions: strconv.Unquote for "…", `…` and '…', and the number
// constants text/template's parser accepts (strconv.ParseInt base 0, ParseFloat). A string escape
// that makes bytes which are not UTF-8 (\xff) is not supported: Go strings hold bytes, ours text. Pure.
import { TemplateError, Unsupported } from "./values.ts";

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/** One character of a quoted literal at `i` (after the quote): its text and the next index. */
function unquoteChar(text: string, i: number, quote: string): [string, number] {
  const c = text[i] as string;
  if (c !== "\\") {
    const code = text.codePointAt(i) as number;
    return [String.fromCodePoint(code), i + (code > 0xffff ? 2 : 1)];
  }
  const e = text[i + 1] ?? "";
  if (e in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[e] as string, i + 2];
  if (e === quote) return [e, i + 2];
  const hexLength = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
  if (hexLength > 0 || /[0-7]/.test(e)) {
    const digits = hexLength > 0 ? text.slice(i + 2, i + 2 + hexLength) : text.slice(i + 1, i + 4);
    const valid = hexLength > 0 ? new RegExp(`^[0-9a-fA-F]{${hexLength}}$`) : /^[0-7]{3}$/;
    if (!valid.test(digits)) throw new TemplateError("invalid syntax");
    const code = Number.parseInt(digits, hexLength > 0 ? 16 : 8);
    const isByte = e === "x" || hexLength === 0;
    if (isByte && code > 0xff) throw new TemplateError("invalid syntax");
    if (isByte && code > 0x7f) throw new Unsupported(`the byte escape \\${e}${digits}`);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new TemplateError("invalid syntax");
    return [String.fromCodePoint(code), i + (hexLength > 0 ? 2 + hexLength : 4)];
  }
  throw new TemplateError("invalid syntax");
}

/** strconv.Unquote of a "…" or `…` literal. */
export function unquoteString(quoted: string): string {
  if (quoted.startsWith("`")) return quoted.slice(1, -1).replaceAll("\r", "");
  let out = "";
  for (let i = 1; i < quoted.length - 1; ) {
    const [c, next] = unquoteChar(quoted, i, '"');
    out += c;
    i = next;
  }
  return out;
}

/** The code point of a '…' character constant: an escape Go rejects, or an empty constant, is
 *  "invalid syntax"; more than one character is malformed. */
export function unquoteRune(quoted: string): number {
  if (quoted[1] === "'") throw new TemplateError("invalid syntax");
  const [c, next] = unquoteChar(quoted, 1, "'");
  if (quoted.slice(next) !== "'") throw new TemplateError(`malformed character constant: ${quoted}`);
  return c.codePointAt(0) as number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's rule for underscores in a number literal: only between digits, or after a base prefix. */
function underscoresOk(text: string): boolean {
  if (!text.includes("_")) return true;
  const body = text.replace(/^[+-]/, "");
  if (!/^0[xXoObB]?/.test(body) && body.startsWith("_")) return false;
  return !/_$|__|_[.eEpP]|[.eEpP]_/.test(body) && (/^0[xXoObB]/.test(body) || /^\d/.test(body));
}

/** strconv.ParseInt(text, 0, 64) as a bigint, or undefined where Go's fails; with `max`
 *  2^64-1, ParseUint. */
export function parseGoInt(text: string, max = INT64_MAX): bigint | undefined {
  if (!underscoresOk(text)) return undefined;
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(text);
  if (!m) return undefined;
  let body = (m[2] as string).replaceAll("_", "");
  if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
  if (max !== INT64_MAX && m[1] === "-") return undefined;
  const value = BigInt(body) * (m[1] === "-" ? -1n : 1n);
  return value < INT64_MIN || value > max ? undefined : value;
}

/** A hexadecimal float (0x1.8p3): hex digits scaled by a power of two. */
function parseHexFloat(text: string): number | undefined {
  const m = /^([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?\d[\d_]*)$/.exec(text);
  if (!m || !underscoresOk(text)) return undefined;
  const whole = (m[2] as string).replaceAll("_", "");
  const fraction = (m[3] ?? "").replaceAll("_", "");
  if (whole === "" && fraction === "") return undefined;
  const mantissa = Number(BigInt(`0x${whole}${fraction}` === "0x" ? "0" : `0x${whole}${fraction}`));
  const value = mantissa * 2 ** (Number((m[4] as string).replaceAll("_", "")) - 4 * fraction.length);
  return m[1] === "-" ? -value : value;
}

/** strconv.ParseFloat(text, 64) of a decimal or hexadecimal literal. */
export function parseGoFloat(text: string): number | undefined {
  if (/^[+-]?0[xX]/.test(text)) return /[pP]/.test(text) ? parseHexFloat(text) : undefined;
  if (!underscoresOk(text) || !/^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d[\d_]*)?$/.test(text)) return undefined;
  return Number(text.replaceAll("_", ""));
}
