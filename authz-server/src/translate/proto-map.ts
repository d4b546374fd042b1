// Protobuf message → plain JSON-able object, the way opa-envoy-plugin builds `input` from a v3
// CheckRequest (its `envoyauth/protomap.go`, since v1.0 / PR #631): protoreflect's JSON names
// (lowerCamelCase), only fields that are set, `google.protobuf.Struct` as a plain object, every
// other message (Timestamp, Any, ...) as an object of its fields. Scalars keep their Go type: 64-bit
// integers and enums become numbers, bytes become standard base64 (as Go's JSON encoding of []byte).
// A 64-bit integer a double cannot hold (`size` above 2^53) is also recorded as a raw JSON slot, so
// the policy sees its exact value as OPA does (raw-json.ts). Pure.
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { RawJsonSlot } from "./raw-json.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** google.protobuf wrapper types: protobuf-es unboxes them to primitives; Go keeps `{value}`. */
export const WRAPPERS = new Set([
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);
/** Types protobuf-es already represents as JSON (Struct → object, Value → any, ListValue → array). */
export const JSON_TYPES = new Set(["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"]);

/** bigint → number (a 64-bit value above 2^53 loses precision, as it would in a JSON number). */
export function scalar(value: unknown): Json {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  return value as Json;
}

export function isDefaultScalar(value: unknown): boolean {
  if (value === undefined || value === "" || value === 0 || value === false || value === 0n) return true;
  return value instanceof Uint8Array && value.length === 0;
}

function messageValue(desc: DescMessage, value: unknown, rawJson?: RawJsonSlot[]): Json {
  if (JSON_TYPES.has(desc.typeName)) return value as Json;
  if (WRAPPERS.has(desc.typeName) && (typeof value !== "object" || value instanceof Uint8Array)) {
    return isDefaultScalar(value) ? {} : { value: scalar(value) }; // Go omits the unset inner field
  }
  return protoMap(desc, value as Record<string, unknown>, rawJson);
}

export function isUnsafeInteger(value: unknown): value is bigint {
  return (
    typeof value === "bigint" && (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER))
  );
}

export function fieldValue(field: DescField, value: unknown, rawJson?: RawJsonSlot[]): Json | undefined {
  switch (field.fieldKind) {
    case "scalar":
      return isDefaultScalar(value) && !field.oneof ? undefined : scalar(value);
    case "enum":
      return value === 0 && !field.oneof ? undefined : (value as number);
    case "message":
      return value === undefined ? undefined : messageValue(field.message, value, rawJson);
    case "list": {
      const list = value as unknown[];
      if (list.length === 0) return undefined;
      return field.listKind === "message" ? list.map((v) => messageValue(field.message, v, rawJson)) : list.map(scalar);
    }
    case "map": {
      const map = value as Record<string, unknown>;
      let out: Record<string, Json> | undefined;
      // string-valued maps (headers, context_extensions) are copied as they are: the hot path.
      const plain = field.mapKind === "scalar" && field.scalar === ScalarType.STRING;
      for (const k in map) {
        out ??= {};
        out[k] = plain
          ? (map[k] as string)
          : field.mapKind === "message"
            ? messageValue(field.message, map[k], rawJson)
            : scalar(map[k]);
      }
      return out;
    }
  }
}

/** A oneof member the message did not select (protobuf-es keeps `{case, value}` per oneof). */
export const UNSELECTED = Symbol("unselected oneof member");

/** The value of `field` in `message`, or UNSELECTED. */
export function fieldOf(message: Record<string, unknown>, field: DescField): unknown {
  if (!field.oneof) return message[field.localName];
  const selected = message[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
  return selected?.case === field.localName ? selected.value : UNSELECTED;
}

/** Converts `message` (a protobuf-es message of type `desc`) to opa-envoy's input form; 64-bit
 *  integers above 2^53 in singular fields are added to `rawJson` when it is given. */
export function protoMap(
  desc: DescMessage,
  message: Record<string, unknown>,
  rawJson?: RawJsonSlot[],
): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const field of desc.fields) {
    const raw = fieldOf(message, field);
    if (raw === UNSELECTED) continue;
    const value = fieldValue(field, raw, rawJson);
    if (value === undefined) continue;
    out[field.jsonName] = value;
    if (rawJson && isUnsafeInteger(raw)) rawJson.push({ holder: out, key: field.jsonName, text: raw.toString() });
  }
  return out;
}
