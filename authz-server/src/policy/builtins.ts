// The builtins Meshward supplies to policies compiled to Wasm, on top of those the Wasm module
// implements natively and the few the OPA Wasm SDK ships (SDK_BUILTINS). A bundle whose module
// needs a builtin in neither list is refused at load (required-builtins.ts), never at request time.
import { jwtBuiltins } from "./builtins-jwt.ts";

/** Builtins @open-policy-agent/opa-wasm 1.10 implements itself (src/builtins/index.js). */
export const SDK_BUILTINS: readonly string[] = [
  "json.is_valid",
  "sprintf",
  "regex.split",
  "yaml.is_valid",
  "yaml.marshal",
  "yaml.unmarshal",
];

export type BuiltinImpl = (...args: unknown[]) => unknown;

/** Nanoseconds since the epoch, as OPA's number (a JS number: exact to ~µs at today's dates). */
export type NanoClock = () => number;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** `time.parse_rfc3339_ns`: RFC 3339 text → ns since the epoch; throws (→ undefined) otherwise. */
export function parseRfc3339Ns(value: unknown): number {
  const m = typeof value === "string" ? RFC3339.exec(value) : null;
  if (!m) throw new Error(`time.parse_rfc3339_ns: not an RFC 3339 time: ${JSON.stringify(value)}`);
  const fraction = (m[7] ?? ".").slice(1).padEnd(9, "0");
  const base = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]?.toUpperCase()}`);
  if (Number.isNaN(base)) throw new Error(`time.parse_rfc3339_ns: invalid date ${value}`);
  return base * 1e6 + Number(fraction);
}

/**
 * The custom builtins handed to `loadPolicy`. `evaluationTimeNs` is read once per evaluation by the
 * evaluator, so `time.now_ns()` is constant within one decision, as in OPA.
 */
export function meshwardBuiltins(evaluationTimeNs: NanoClock): Record<string, BuiltinImpl> {
  return {
    ...jwtBuiltins(evaluationTimeNs),
    "time.now_ns": () => evaluationTimeNs(),
    "time.parse_rfc3339_ns": (value) => parseRfc3339Ns(value),
  };
}
