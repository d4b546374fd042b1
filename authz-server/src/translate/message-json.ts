// A protobuf message written as JSON bytes exactly as `protoMap` (proto-map.ts) would build it and
// JSON.stringify would write it, without building the object: the same fields in the same order,
// the same omissions, a 64-bit integer a double cannot hold written with its digits (the raw slot's
// text). The hot shapes are written directly (nested messages, scalars, string maps such as
// headers); the rare ones (lists, well-known types, maps of messages) go through protoMap's own
// field conversion and the generic writer, so they cannot drift from it.
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { InputProjection } from "./input-projection.ts";
import { type JsonWriter, rawTextsOf } from "./json-writer.ts";
import {
  fieldOf,
  fieldValue,
  isDefaultScalar,
  isUnsafeInteger,
  JSON_TYPES,
  scalar,
  UNSELECTED,
  WRAPPERS,
} from "./proto-map.ts";
import type { RawJsonSlot } from "./raw-json.ts";

/** A field and its `"jsonName":` bytes, encoded once per message type. */
interface FieldPlan {
  field: DescField;
  key: Uint8Array;
}

const encoder = new TextEncoder();

const plans = new WeakMap<DescMessage, FieldPlan[]>();

function planOf(desc: DescMessage): FieldPlan[] {
  let plan = plans.get(desc);
  if (!plan) {
    plan = desc.fields.map((field) => ({ field, key: encoder.encode(`${JSON.stringify(field.jsonName)}:`) }));
    plans.set(desc, plan);
  }
  return plan;
}

/** Writes the fields `protoMap(desc, message)` would produce as properties of an object whose `{`
 *  the caller wrote; `first` says whether none precedes them. Returns whether none was written.
 *  With `keep`, only the fields it names (and within them, of messages and string maps, only what
 *  it names below them); a field it maps to `true` is written whole. */
export function writeMessageFields(
  w: JsonWriter,
  desc: DescMessage,
  message: Record<string, unknown>,
  first: boolean,
  keep?: InputProjection,
): boolean {
  let none = first;
  const plan = planOf(desc);
  for (let i = 0; i < plan.length; i++) {
    const { field, key } = plan[i] as FieldPlan;
    let below: InputProjection | undefined;
    if (keep !== undefined) {
      const kept = keep.get(field.jsonName);
      if (kept === undefined) continue;
      if (kept !== true) below = kept;
    }
    const raw = fieldOf(message, field);
    if (raw === UNSELECTED) continue;
    if (writeField(w, field, key, raw, none, below)) none = false;
  }
  return none;
}

/** One field as a property; false when protoMap would leave it out. */
function writeField(
  w: JsonWriter,
  field: DescField,
  key: Uint8Array,
  raw: unknown,
  first: boolean,
  keep: InputProjection | undefined,
): boolean {
  switch (field.fieldKind) {
    case "scalar": {
      if (isDefaultScalar(raw) && !field.oneof) return false;
      if (isUnsafeInteger(raw)) {
        w.key(key, first);
        w.ascii(raw.toString());
        return true;
      }
      const value = scalar(raw);
      if (value === undefined) return false;
      w.key(key, first);
      w.value(value);
      return true;
    }
    case "enum":
      if ((raw === 0 && !field.oneof) || raw === undefined) return false;
      w.key(key, first);
      w.number(raw as number);
      return true;
    case "message":
      if (raw === undefined) return false;
      if (JSON_TYPES.has(field.message.typeName) || WRAPPERS.has(field.message.typeName)) {
        return writeConverted(w, field, key, raw, first);
      }
      w.key(key, first);
      w.byte(123);
      writeMessageFields(w, field.message, raw as Record<string, unknown>, true, keep);
      w.byte(125);
      return true;
    case "map":
      if (field.mapKind === "scalar" && field.scalar === ScalarType.STRING) {
        return writeStringMap(w, key, raw as Record<string, string>, first, keep);
      }
      return writeConverted(w, field, key, raw, first);
    default:
      return writeConverted(w, field, key, raw, first);
  }
}

/** A string-valued map (headers, context_extensions), as protoMap copies it into a fresh object:
 *  the keys `for…in` lists, except `__proto__`, which that copy cannot hold as a key; with `keep`,
 *  only the keys it names. */
function writeStringMap(
  w: JsonWriter,
  fieldKey: Uint8Array,
  map: Record<string, string>,
  first: boolean,
  keep: InputProjection | undefined,
): boolean {
  let opened = false;
  let firstEntry = true;
  for (const key in map) {
    if (!opened) {
      w.key(fieldKey, first);
      w.byte(123);
      opened = true;
    }
    if (key === "__proto__" || (keep !== undefined && !keep.has(key))) continue;
    w.property(key, firstEntry);
    w.string(map[key] as string);
    firstEntry = false;
  }
  if (opened) w.byte(125);
  return opened;
}

/** The rare shapes: protoMap's own conversion, then the generic writer (with its raw slots). */
function writeConverted(w: JsonWriter, field: DescField, key: Uint8Array, raw: unknown, first: boolean): boolean {
  const slots: RawJsonSlot[] = [];
  const value = fieldValue(field, raw, slots);
  if (value === undefined) return false;
  w.key(key, first);
  w.value(value, rawTextsOf(slots));
  return true;
}
