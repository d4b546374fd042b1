// Encoding builtins with OPA's semantics (topdown/encoding.go): hex, unpadded base64url, URL query
// encoding with Go's net/url rules (QueryEscape keeps A-Z a-z 0-9 - _ . ~, writes space as `+`
// and everything else as upper-case %XX; Values.Encode sorts by name), and json.marshal_with_options
// with Go's encoding/json output (sorted keys, <, > and & escaped).
import { goUnescape, parseQueryString } from "../../translate/url-parse.ts";
import { RegoSet } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { goJson } from "./go-json.ts";
import { bytesOf, fail, obj, str } from "./operands.ts";
import { sortedMembers } from "./rego-order.ts";

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

/** Go's url.QueryEscape. */
export function queryEscape(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    if (byte < 0x80 && UNRESERVED.test(c)) out += c;
    else if (byte === 0x20) out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function encodeObject([value]: Parameters<Builtin>[0]): string {
  const pairs: [string, string][] = [];
  const object = obj(value, "urlquery.encode_object");
  for (const name of Object.keys(object)) {
    const v = object[name];
    if (typeof v === "string") pairs.push([name, v]);
    else if (Array.isArray(v) || v instanceof RegoSet) {
      const list = Array.isArray(v) ? v : sortedMembers(v);
      for (const item of list) {
        if (typeof item !== "string") fail("urlquery.encode_object: values must be strings or arrays of strings");
        pairs.push([name, item]);
      }
    } else fail("urlquery.encode_object: values must be strings or arrays of strings");
  }
  // Values.Encode: names sorted (byte order), values of one name in order.
  const names = [...new Set(pairs.map(([n]) => n))].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return names
    .flatMap((n) => pairs.filter(([k]) => k === n).map(([, v]) => `${queryEscape(n)}=${queryEscape(v)}`))
    .join("&");
}

function marshalWithOptions([value, options]: Parameters<Builtin>[0]): string {
  let indent = "\t";
  let prefix = "";
  let implicit = false;
  let explicit: boolean | undefined;
  const opts = obj(options, "json.marshal_with_options");
  for (const key of Object.keys(opts)) {
    const v = opts[key];
    if (key === "prefix") {
      prefix = str(v, "json.marshal_with_options");
      implicit = true;
    } else if (key === "indent") {
      indent = str(v, "json.marshal_with_options");
      implicit = true;
    } else if (key === "pretty") {
      if (typeof v !== "boolean") fail("json.marshal_with_options: pretty must be a boolean");
      explicit = v;
    } else fail(`json.marshal_with_options: unknown key ${key}`);
  }
  const pretty = explicit ?? implicit;
  return pretty ? prefix + goJson(value ?? null, { prefix, indent }) : goJson(value ?? null);
}

export const encodingBuiltins: Record<string, Builtin> = {
  "hex.encode": ([s]) => bytesOf(s, "hex.encode").toString("hex"),
  "hex.decode": ([s]) => {
    const text = str(s, "hex.decode");
    if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) fail("hex.decode: invalid hex");
    return Buffer.from(text, "hex").toString("utf8");
  },
  "base64url.encode_no_pad": ([s]) => bytesOf(s, "base64url.encode_no_pad").toString("base64url"),
  "urlquery.encode": ([s]) => queryEscape(str(s, "urlquery.encode")),
  "urlquery.decode": ([s]) => goUnescape(str(s, "urlquery.decode"), "query"),
  "urlquery.encode_object": (args) => encodeObject(args),
  "urlquery.decode_object": ([s]) => parseQueryString(str(s, "urlquery.decode_object")),
  "json.marshal_with_options": (args) => marshalWithOptions(args),
};
