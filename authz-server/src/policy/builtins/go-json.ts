// JSON text as Go's encoding/json writes OPA values (ast.JSON then json.Marshal / MarshalIndent):
// object keys sorted, sets as sorted arrays, `<`, `>`, `&`, U+2028 and U+2029 escaped, control
// characters as \b \f \n \r \t or \u00XX. Pure.
import { isPlainObject, RawRego, RegoObject, RegoSet, type RegoValue, wellFormed } from "../rego-value.ts";
import { compareStrings, sortedMembers } from "./rego-order.ts";

const SHORT: Record<string, string> = { "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function goJsonString(text: string): string {
  let out = '"';
  for (const c of wellFormed(text)) {
    const code = c.codePointAt(0) as number;
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (SHORT[c]) out += SHORT[c];
    else if (code < 0x20 || c === "<" || c === ">" || c === "&" || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += c;
  }
  return `${out}"`;
}

export interface Indent {
  prefix: string;
  indent: string;
}

export function goJson(value: RegoValue, pretty?: Indent, depth = 0): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return JSON.stringify(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return goJsonString(value);
  if (value instanceof RawRego) return value.text;
  const line = (d: number) => (pretty ? `\n${pretty.prefix}${pretty.indent.repeat(d)}` : "");
  const sep = pretty ? ": " : ":";
  const list = (parts: string[], open: string, close: string) =>
    parts.length === 0
      ? open + close
      : `${open}${parts.map((p) => line(depth + 1) + p).join(",")}${line(depth)}${close}`;
  if (Array.isArray(value))
    return list(
      value.map((v) => goJson(v, pretty, depth + 1)),
      "[",
      "]",
    );
  if (value instanceof RegoSet)
    return list(
      sortedMembers(value).map((v) => goJson(v, pretty, depth + 1)),
      "[",
      "]",
    );
  if (value instanceof RegoObject) throw new Error("json: object keys must be strings");
  if (!isPlainObject(value)) throw new Error("json: unsupported value");
  const keys = Object.keys(value).sort(compareStrings);
  return list(
    keys.map((k) => `${goJsonString(k)}${sep}${goJson(value[k] as RegoValue, pretty, depth + 1)}`),
    "{",
    "}",
  );
}
