// The vars object as OPA hands it to text/template: OPA writes the Rego value as Rego text and
// decodes that text with Go's JSON decoder (numbers as json.Number). So what Rego text is not JSON
// fails the builtin: a set anywhere, an object key that is not a string, and a string that Go's
// strconv.Quote escapes in a way JSON does not read (\a, \v, \xNN for other control bytes and
// DEL, \UNNNNNNNN for non-printable runes beyond the BMP). Pure.
import { isPlainObject, RawRego, RegoObject, RegoSet, type RegoValue } from "../../rego-value.ts";
import { type GoMap, type GoValue, JsonNumber, TemplateError } from "./values.ts";

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
// The control characters JSON reads as Go writes them: \b \t \n \f \r.
const JSON_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/** The escape letter of Go's quoting of `code` that JSON rejects, if any. */
function rejectedEscape(code: number, ch: string): string | undefined {
  if (code === 0x07) return "a";
  if (code === 0x0b) return "v";
  if ((code < 0x20 && !JSON_ESCAPES.has(code)) || code === 0x7f) return "x";
  if (code > 0xffff && !PRINTABLE.test(ch)) return "U";
  return undefined;
}

/** Whether `text` may hold a character Go's quoting escapes beyond JSON (checked one by one). */
function mayNeedCheck(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdbff)) return true;
  }
  return false;
}

function checkQuotable(text: string): string {
  if (!mayNeedCheck(text)) return text;
  for (const ch of text) {
    const letter = rejectedEscape(ch.codePointAt(0) as number, ch);
    if (letter !== undefined) throw new TemplateError(`invalid character '${letter}' in string escape code`);
  }
  return text;
}

function convert(value: RegoValue, depth: number): GoValue {
  if (depth > 1000) throw new TemplateError("exceeded max depth");
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "string") return checkQuotable(value);
  if (value instanceof RawRego) return new JsonNumber(value.text);
  if (typeof value === "number" || typeof value === "bigint") return new JsonNumber(String(value));
  if (Array.isArray(value)) return value.map((item) => convert(item, depth + 1));
  if (value instanceof RegoSet) throw new TemplateError("invalid character looking for beginning of value (a set)");
  if (value instanceof RegoObject) {
    throw new TemplateError(
      "invalid character looking for beginning of object key string (a key that is not a string)",
    );
  }
  const map: GoMap = new Map();
  for (const [key, item] of Object.entries(value)) map.set(checkQuotable(key), convert(item, depth + 1));
  return map;
}

/** The vars operand as text/template's data, or OPA's operand error. */
export function templateData(vars: RegoValue | undefined): GoMap {
  if (!isPlainObject(vars) && !(vars instanceof RegoObject)) {
    throw new TemplateError("operand 2 must be object");
  }
  return convert(vars, 0) as GoMap;
}
