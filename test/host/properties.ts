// Property values as Envoy serializes them for proxy_get_property: strings raw,
// int64/uint64 and double 8 bytes little-endian, bool 1 byte, timestamps and durations int64
// nanoseconds, maps in the pairs format, lists in the pairs format with empty values.
// Paths are segments joined by NUL; `propertyKey` builds the same key the guest sends.
import { encodePairs, type Pair } from "./pairs.ts";

export type PropertyValue =
  | { kind: "string"; value: string }
  | { kind: "bytes"; value: Uint8Array }
  | { kind: "int64"; value: bigint }
  | { kind: "uint64"; value: bigint }
  | { kind: "double"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "nanos"; value: bigint }
  | { kind: "map"; value: Pair[] }
  | { kind: "list"; value: string[] };

export const propertyKey = (path: readonly string[]): string => path.join("\0");

/** Plain JS values map to the Envoy type they would have: string → string, bigint → int64,
 *  boolean → bool, Uint8Array → bytes, Pair[] → map. */
export function toPropertyValue(value: string | bigint | boolean | Uint8Array | Pair[] | PropertyValue): PropertyValue {
  if (typeof value === "string") return { kind: "string", value };
  if (typeof value === "bigint") return { kind: "int64", value };
  if (typeof value === "boolean") return { kind: "bool", value };
  if (value instanceof Uint8Array) return { kind: "bytes", value };
  if (Array.isArray(value)) return { kind: "map", value };
  return value;
}

export function serializeProperty(p: PropertyValue): Uint8Array {
  switch (p.kind) {
    case "string":
      return new TextEncoder().encode(p.value);
    case "bytes":
      return p.value;
    case "bool":
      return Uint8Array.of(p.value ? 1 : 0);
    case "map":
      return encodePairs(p.value);
    case "list":
      return encodePairs(p.value.map((v): Pair => [v, ""]));
    default: {
      const out = new Uint8Array(8);
      const view = new DataView(out.buffer);
      if (p.kind === "double") view.setFloat64(0, p.value, true);
      else if (p.kind === "uint64") view.setBigUint64(0, p.value, true);
      else view.setBigInt64(0, p.value, true);
      return out;
    }
  }
}
