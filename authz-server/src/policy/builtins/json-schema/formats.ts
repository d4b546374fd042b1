// The "format" checks gojsonschema makes (its FormatCheckers), for the formats reproduced here:
// each applies to strings only (other values pass), and a format name gojsonschema does not know
// is not checked (OPA's answer). Dates and times go through Go's time.Parse (go-time-format.ts)
// with gojsonschema's layouts, URIs through Go's url.Parse (go-url.ts), regular expressions
// through RE2 (regex.ts). The email formats, which Go checks with net/mail (not reproduced), are
// refused when the schema is compiled. Pure.
import { GoTimeParseError, goParse } from "../go-time-format.ts";
import { GoUrlError, parseGoUrl } from "../go-url.ts";
import { parseIp } from "../net.ts";
import { fail } from "../operands.ts";
import { compile } from "../regex.ts";
import { regexOf } from "./keyword-values.ts";

const HOSTNAME =
  /^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9])(\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]{0,61}[a-zA-Z0-9]))*$/;
const UUID = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/i;
const JSON_POINTER = /^(?:\/(?:[^~/]|~0|~1)*)*$/u;
const RELATIVE_JSON_POINTER = /^(?:0|[1-9][0-9]*)(?:#|(?:\/(?:[^~/]|~0|~1)*)*)$/u;
// Nested quantifiers: matched by RE2 (linear time), not by a backtracking RegExp.
const URI_TEMPLATE = compile("^([^{]*({[^}]*})?)*$");

/** Whether Go's time.Parse accepts `s` in one of `layouts`. */
function parsesAs(s: string, layouts: readonly string[]): boolean {
  return layouts.some((layout) => {
    try {
      goParse(layout, s);
      return true;
    } catch (err) {
      if (err instanceof GoTimeParseError) return false;
      throw err;
    }
  });
}

/** Go's url.Parse of `s` (gojsonschema also refuses a backslash anywhere). */
function goUrl(s: string) {
  if (s.includes("\\")) return undefined;
  try {
    return parseGoUrl(s);
  } catch (err) {
    if (err instanceof GoUrlError) return undefined;
    throw err;
  }
}

const RFC3339 = "2006-01-02T15:04:05Z07:00";
const RFC3339_NANO = "2006-01-02T15:04:05.999999999Z07:00";
const DATE_TIME_LAYOUTS = ["15:04:05", "15:04:05Z07:00", "2006-01-02", RFC3339, RFC3339_NANO];

const CHECKS: Readonly<Record<string, (s: string) => boolean>> = {
  date: (s) => parsesAs(s, ["2006-01-02"]),
  time: (s) => parsesAs(s, ["15:04:05Z07:00", "15:04:05"]),
  "date-time": (s) => parsesAs(s, DATE_TIME_LAYOUTS),
  uri: (s) => (goUrl(s)?.scheme ?? "") !== "",
  "uri-reference": (s) => goUrl(s) !== undefined,
  iri: (s) => (goUrl(s)?.scheme ?? "") !== "",
  "iri-reference": (s) => goUrl(s) !== undefined,
  "uri-template": (s) => {
    const u = goUrl(s);
    return u !== undefined && URI_TEMPLATE.matcher(u.path).find();
  },
  regex: (s) => s === "" || regexOf(s) !== undefined,
  hostname: (s) => HOSTNAME.test(s) && Buffer.byteLength(s) < 256,
  ipv4: (s) => parseIp(s) !== undefined && s.includes("."),
  ipv6: (s) => parseIp(s) !== undefined && s.includes(":"),
  uuid: (s) => UUID.test(s),
  "json-pointer": (s) => JSON_POINTER.test(s),
  "relative-json-pointer": (s) => RELATIVE_JSON_POINTER.test(s),
};

/** Formats gojsonschema checks that are not reproduced here. */
const REFUSED = new Set(["email", "idn-email"]);

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
