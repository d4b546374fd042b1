// The "format" checks gojsonschema makes (its FormatCheckers), for the formats reproduced here:
// each applies to strings only (other values pass), and a format name gojsonschema does not know
// is not checked (OPA's answer). A format it checks with Go's mail, url or time parsers is refused
// when the schema is compiled, since those parsers' edge cases are not reproduced. Pure.

import { parseIp } from "../net.ts";
import { fail } from "../operands.ts";

const HOSTNAME =
  /^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9])(\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9]))*$/;
const UUID = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/i;
const JSON_POINTER = /^(?:\/(?:[^~/]|~0|~1)*)*$/u;
const RELATIVE_JSON_POINTER = /^(?:0|[1-9][0-9]*)(?:#|(?:\/(?:[^~/]|~0|~1)*)*)$/u;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Go's time.Parse("2006-01-02", s): four-digit year, month 01–12, a day the month has. */
function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return day <= days;
}

const CHECKS: Readonly<Record<string, (s: string) => boolean>> = {
  date: isDate,
  hostname: (s) => HOSTNAME.test(s) && Buffer.byteLength(s) < 256,
  ipv4: (s) => parseIp(s) !== undefined && s.includes("."),
  ipv6: (s) => parseIp(s) !== undefined && s.includes(":"),
  uuid: (s) => UUID.test(s),
  "json-pointer": (s) => JSON_POINTER.test(s),
  "relative-json-pointer": (s) => RELATIVE_JSON_POINTER.test(s),
};

/** Formats gojsonschema checks that are not reproduced here. */
const REFUSED = new Set([
  "time",
  "date-time",
  "email",
  "idn-email",
  "uri",
  "uri-reference",
  "iri",
  "iri-reference",
  "uri-template",
  "regex",
]);

export const SUPPORTED_FORMATS: readonly string[] = Object.keys(CHECKS).sort();

/** Refuses, at compile time, a format OPA checks and this module does not. */
export function checkFormatSupported(format: string): void {
  if (REFUSED.has(format)) {
    fail(`json schema: format "${format}" is not supported (supported: ${SUPPORTED_FORMATS.join(", ")})`);
  }
}

/** Whether `value` passes `format` (only strings are checked). */
export function matchesFormat(format: string, value: unknown): boolean {
  const check = CHECKS[format];
  return check === undefined || typeof value !== "string" || check(value);
}
