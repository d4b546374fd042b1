// Operand checks shared by the builtins: a builtin given the wrong type fails, and a failing
// builtin makes its expression undefined (wasm-host.ts), as OPA's non-strict evaluation does.
import { isPlainObject, RegoSet, type RegoValue } from "../rego-value.ts";

export class BuiltinError extends Error {}

export function fail(message: string): never {
  throw new BuiltinError(message);
}

/** `text` parsed as JSON, or a builtin failure with `message`. */
export function parseJsonOrFail(text: string, message: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail(message);
  }
}

export function str(value: RegoValue | undefined, name: string): string {
  if (typeof value !== "string") fail(`${name}: operand must be a string`);
  return value;
}

export function num(value: RegoValue | undefined, name: string): number {
  if (typeof value === "bigint") return Number(value);
  if (typeof value !== "number") fail(`${name}: operand must be a number`);
  return value;
}

export function int(value: RegoValue | undefined, name: string): number {
  const n = num(value, name);
  if (!Number.isInteger(n)) fail(`${name}: operand must be an integer`);
  return n;
}

export function bigInt(value: RegoValue | undefined, name: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  return fail(`${name}: operand must be an integer`);
}

export function obj(value: RegoValue | undefined, name: string): { [key: string]: RegoValue } {
  if (!isPlainObject(value)) fail(`${name}: operand must be an object`);
  return value;
}

/** The items of an array or set. */
export function items(value: RegoValue | undefined, name: string): RegoValue[] {
  if (Array.isArray(value)) return value;
  if (value instanceof RegoSet) return value.items;
  return fail(`${name}: operand must be an array or set`);
}

export function strings(value: RegoValue | undefined, name: string): string[] {
  return items(value, name).map((v) => str(v, name));
}

/** The UTF-8 bytes of a string operand (OPA strings are byte strings). */
export function bytesOf(value: RegoValue | undefined, name: string): Buffer {
  return Buffer.from(str(value, name), "utf8");
}
