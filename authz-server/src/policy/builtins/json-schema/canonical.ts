// gojsonschema's marshalWithoutNumber: the JSON text enum, const and uniqueItems compare, made by
// Go's json.Marshal after a round trip through float64 — so 1, 1.0 and 1e0 are equal, and so are
// two integers beyond 2^53 that round to the same double (OPA's answer, kept), while -0 stays "-0".
// Keys sorted, strings escaped as Go escapes them. Also the text OPA's enum/const messages show.
// Pure.
import { goJsonString } from "../go-json.ts";
import { goFloatText } from "./decimal.ts";
import { type JsonNode, JsonNumber } from "./json-node.ts";

export function canonicalText(node: JsonNode): string {
  if (node === null) return "null";
  if (typeof node === "boolean") return node ? "true" : "false";
  if (typeof node === "string") return goJsonString(node);
  if (node instanceof JsonNumber) return goFloatText(node);
  if (Array.isArray(node)) return `[${node.map(canonicalText).join(",")}]`;
  // JsonObject keys are already in Go's sorted order.
  return `{${[...node].map(([k, v]) => `${goJsonString(k)}:${canonicalText(v)}`).join(",")}}`;
}
