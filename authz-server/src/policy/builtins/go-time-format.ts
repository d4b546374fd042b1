// Go's time.Format layouts (the reference time Mon Jan 2 15:04:05 MST 2006), as time.format uses
// them: the layout is read left to right for the same tokens Go's nextStdChunk finds (`January`,
// `Jan`, `Monday`, `Mon`, `MST`, `01`..`06`, `002`, `15`, `1`..`5`, `2006`, `_2`, `__2`, `PM`,
// `pm`, the numeric and ISO 8601 zones, `.000`/`.999` fractions); everything else is copied.
// OPA also takes Go's layout names (ANSIC, RFC3339, ...). Pure.

/** A civil date and time of day (month and day from 1). */
export interface CivilFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface LocalTime extends CivilFields {
  nanos: number;
  weekday: number;
  yearDay: number;
  /** Offset east of UTC, seconds. */
  offset: number;
  /** Zone abbreviation, "" when the zone has none. */
  abbreviation: string;
}

export const NAMED_LAYOUTS: Readonly<Record<string, string>> = {
  ANSIC: "Mon Jan _2 15:04:05 2006",
  UnixDate: "Mon Jan _2 15:04:05 MST 2006",
  RubyDate: "Mon Jan 02 15:04:05 -0700 2006",
  RFC822: "02 Jan 06 15:04 MST",
  RFC822Z: "02 Jan 06 15:04 -0700",
  RFC850: "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123: "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339: "2006-01-02T15:04:05Z07:00",
  RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00",
};

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
export const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const pad = (n: number, width: number, fill = "0") => String(n).padStart(width, fill);

function zone(t: LocalTime, style: "hhmm" | "hh:mm" | "hh" | "hhmmss" | "hh:mm:ss", iso: boolean): string {
  if (iso && t.offset === 0) return "Z";
  const sign = t.offset < 0 ? "-" : "+";
  const abs = Math.abs(t.offset);
  const [h, m, s] = [Math.floor(abs / 3600), Math.floor((abs % 3600) / 60), abs % 60];
  switch (style) {
    case "hh":
      return `${sign}${pad(h, 2)}`;
    case "hhmm":
      return `${sign}${pad(h, 2)}${pad(m, 2)}`;
    case "hh:mm":
      return `${sign}${pad(h, 2)}:${pad(m, 2)}`;
    case "hhmmss":
      return `${sign}${pad(h, 2)}${pad(m, 2)}${pad(s, 2)}`;
    default:
      return `${sign}${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`;
  }
}

const ZONES: [string, "hhmm" | "hh:mm" | "hh" | "hhmmss" | "hh:mm:ss"][] = [
  ["070000", "hhmmss"],
  ["07:00:00", "hh:mm:ss"],
  ["0700", "hhmm"],
  ["07:00", "hh:mm"],
  ["07", "hh"],
];

/** The formatted token at the start of `rest`, and its length; undefined when none starts there. */
function token(rest: string, t: LocalTime): [string, number] | undefined {
  const lowerNext = (i: number) => /^[a-z]/.test(rest.slice(i));
  const hour12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  switch (rest[0]) {
    case "J":
      if (rest.startsWith("January")) return [MONTHS[t.month - 1] as string, 7];
      if (rest.startsWith("Jan") && !lowerNext(3)) return [(MONTHS[t.month - 1] as string).slice(0, 3), 3];
      return undefined;
    case "M":
      if (rest.startsWith("Monday")) return [DAYS[t.weekday] as string, 6];
      if (rest.startsWith("Mon") && !lowerNext(3)) return [(DAYS[t.weekday] as string).slice(0, 3), 3];
      if (rest.startsWith("MST")) return [t.abbreviation || zone(t, "hhmm", false), 3];
      return undefined;
    case "0": {
      const next = rest[1];
      if (next !== undefined && next >= "1" && next <= "6") {
        const values = [t.month, t.day, hour12, t.minute, t.second, t.year % 100];
        return [pad(values[Number(next) - 1] as number, 2), 2];
      }
      if (rest.startsWith("002")) return [pad(t.yearDay, 3), 3];
      return undefined;
    }
    case "1":
      return rest[1] === "5" ? [pad(t.hour, 2), 2] : [String(t.month), 1];
    case "2":
      return rest.startsWith("2006") ? [pad(t.year, 4), 4] : [String(t.day), 1];
    case "_":
      if (rest.startsWith("_2006")) return [`_${pad(t.year, 4)}`, 5];
      if (rest[1] === "2") return [pad(t.day, 2, " "), 2];
      if (rest.startsWith("__2")) return [pad(t.yearDay, 3, " "), 3];
      return undefined;
    case "3":
      return [String(hour12), 1];
    case "4":
      return [String(t.minute), 1];
    case "5":
      return [String(t.second), 1];
    case "P":
      return rest[1] === "M" ? [t.hour >= 12 ? "PM" : "AM", 2] : undefined;
    case "p":
      return rest[1] === "m" ? [t.hour >= 12 ? "pm" : "am", 2] : undefined;
    case "-":
    case "Z": {
      for (const [suffix, style] of ZONES) {
        if (rest.startsWith(suffix, 1)) return [zone(t, style, rest[0] === "Z"), suffix.length + 1];
      }
      return undefined;
    }
    case ".":
    case ",": {
      const digit = rest[1];
      if (digit !== "0" && digit !== "9") return undefined;
      let n = 1;
      while (rest[n + 1] === digit) n++;
      if (/^[0-9]/.test(rest.slice(n + 1))) return undefined;
      const fraction = pad(t.nanos, 9).slice(0, Math.min(n, 9));
      if (digit === "0") return [`${rest[0]}${fraction}`, n + 1];
      const trimmed = fraction.replace(/0+$/, "");
      return [trimmed === "" ? "" : `${rest[0]}${trimmed}`, n + 1];
    }
    default:
      return undefined;
  }
}

/** Go's Time.Format(layout). */
export function goFormat(t: LocalTime, layout: string): string {
  let out = "";
  for (let i = 0; i < layout.length; ) {
    const found = token(layout.slice(i), t);
    if (found) {
      out += found[0];
      i += found[1];
    } else {
      out += layout[i];
      i++;
    }
  }
  return out;
}

export class GoTimeParseError extends Error {}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The first token anywhere in `layout` (Go's nextStdChunk), or undefined. */
function nextToken(layout: string): string | undefined {
  for (let j = 0; j < layout.length; j++) {
    const found = tokenAt(layout.slice(j));
    if (found) return found;
  }
  return undefined;
}

/** Civil fields Go's time.Parse read, before they become an instant. */
export interface ParsedTime extends CivilFields {
  nanos: number;
  /** Seconds east of UTC from a numeric zone; 0 for UTC and for zone abbreviations. */
  offset: number;
}

const bad = (what = "cannot parse"): never => {
  throw new GoTimeParseError(`parsing time: ${what}`);
};

const isDigitAt = (s: string, i: number) => i < s.length && s[i] !== undefined && s[i] >= "0" && s[i] <= "9";

/** Go's getnum: one or two digits (`fixed`: exactly two). */
function getnum(value: string, fixed: boolean): [number, string] {
  if (!isDigitAt(value, 0)) bad();
  if (!isDigitAt(value, 1)) {
    if (fixed) bad();
    return [Number(value[0]), value.slice(1)];
  }
  return [Number(value.slice(0, 2)), value.slice(2)];
}

function getnum3(value: string, fixed: boolean): [number, string] {
  let n = 0;
  let i = 0;
  while (i < 3 && isDigitAt(value, i)) n = n * 10 + Number(value[i++]);
  if (i === 0 || (fixed && i !== 3)) bad();
  return [n, value.slice(i)];
}

/** Case-insensitive (ASCII) lookup of a name at the start of `value`. */
function lookup(names: string[], value: string): [number, string] {
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (value.length >= name.length && value.slice(0, name.length).toLowerCase() === name.toLowerCase()) {
      return [i, value.slice(name.length)];
    }
  }
  return bad();
}

/** Go's skip: the literal text must match, a run of spaces matching a run of spaces. */
function skip(value: string, prefix: string): string {
  let v = value;
  let p = prefix;
  while (p.length > 0) {
    if (p[0] === " ") {
      if (v.length > 0 && v[0] !== " ") bad();
      p = p.replace(/^ +/, "");
      v = v.replace(/^ +/, "");
      continue;
    }
    if (v.length === 0 || v[0] !== p[0]) bad();
    p = p.slice(1);
    v = v.slice(1);
  }
  return v;
}

function nanoseconds(value: string, length: number): number {
  if (value[0] !== "." && value[0] !== ",") bad();
  const digits = value.slice(1, Math.min(length, 10));
  if (!/^\d+$/.test(digits)) bad();
  return Number(digits.padEnd(9, "0"));
}

/** Go's parseTimeZone: the length of a zone abbreviation at the start of `value`, or 0. */
function zoneNameLength(value: string): number {
  if (value.length < 3) return 0;
  if (value.startsWith("ChST") || value.startsWith("MeST")) return 4;
  if (value.startsWith("GMT")) {
    const m = /^GMT([+-]\d{1,2})?/.exec(value);
    const sign = m?.[1];
    return sign !== undefined && Math.abs(Number(sign)) <= 23 ? 3 + sign.length : 3;
  }
  let upper = 0;
  while (upper < 6 && upper < value.length && /[A-Z]/.test(value[upper] as string)) upper++;
  if (upper === 3) return 3;
  if (upper === 4 && (value[3] === "T" || value.startsWith("WITA"))) return 4;
  if (upper === 5 && value[4] === "T") return 5;
  return 0;
}

/** One token of the layout (its length in the layout), as `token` recognises them for Format. */
function tokenAt(layout: string): string | undefined {
  const probe: LocalTime = {
    year: 2006,
    month: 1,
    day: 2,
    hour: 15,
    minute: 4,
    second: 5,
    nanos: 0,
    weekday: 1,
    yearDay: 2,
    offset: 0,
    abbreviation: "MST",
  };
  const found = token(layout, probe);
  return found ? layout.slice(0, found[1]) : undefined;
}

/** Go's time.Parse(layout, value) in UTC, up to the civil fields and the zone offset. */
export function goParse(layout: string, input: string): ParsedTime {
  let value = input;
  let year = 0;
  let month = -1;
  let day = -1;
  let yearDay = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let nanos = 0;
  let offset = 0;
  let am = false;
  let pm = false;
  let i = 0;
  let literal = "";
  const flush = () => {
    value = skip(value, literal);
    literal = "";
  };
  while (i <= layout.length) {
    const std = i < layout.length ? tokenAt(layout.slice(i)) : undefined;
    if (std === undefined) {
      if (i === layout.length) break;
      literal += layout[i];
      i++;
      continue;
    }
    flush();
    i += std.length;
    const rest = layout.slice(i);
    if (std === "2006") {
      if (!/^\d{4}/.test(value)) bad();
      year = Number(value.slice(0, 4));
      value = value.slice(4);
    } else if (std === "06") {
      if (!/^\d{2}/.test(value)) bad();
      const y = Number(value.slice(0, 2));
      year = y >= 69 ? 1900 + y : 2000 + y;
      value = value.slice(2);
    } else if (std === "_2006") {
      value = skip(value, "_");
      if (!/^\d{4}/.test(value)) bad();
      year = Number(value.slice(0, 4));
      value = value.slice(4);
    } else if (std === "Jan" || std === "January") {
      [month, value] = lookup(std === "Jan" ? MONTHS.map((m) => m.slice(0, 3)) : MONTHS, value);
      month++;
    } else if (std === "Mon" || std === "Monday") {
      [, value] = lookup(std === "Mon" ? DAYS.map((d) => d.slice(0, 3)) : DAYS, value);
    } else if (std === "1" || std === "01") {
      [month, value] = getnum(value, std === "01");
      if (month <= 0 || month > 12) bad("month out of range");
    } else if (std === "2" || std === "_2" || std === "02") {
      if (std === "_2" && value[0] === " ") value = value.slice(1);
      [day, value] = getnum(value, std === "02");
    } else if (std === "__2" || std === "002") {
      for (let k = 0; k < 2; k++) if (std === "__2" && value[0] === " ") value = value.slice(1);
      [yearDay, value] = getnum3(value, std === "002");
    } else if (std === "15") {
      [hour, value] = getnum(value, false);
      if (hour >= 24) bad("hour out of range");
    } else if (std === "3" || std === "03") {
      [hour, value] = getnum(value, std === "03");
      if (hour > 12) bad("hour out of range");
    } else if (std === "4" || std === "04") {
      [minute, value] = getnum(value, std === "04");
      if (minute >= 60) bad("minute out of range");
    } else if (std === "5" || std === "05") {
      [second, value] = getnum(value, std === "05");
      if (second >= 60) bad("second out of range");
      const next = nextToken(rest);
      if (
        value.length >= 2 &&
        (value[0] === "." || value[0] === ",") &&
        isDigitAt(value, 1) &&
        !next?.match(/^[.,][09]/)
      ) {
        let n = 2;
        while (isDigitAt(value, n)) n++;
        nanos = nanoseconds(value, n);
        value = value.slice(n);
      }
    } else if (std === "PM" || std === "pm") {
      const p = value.slice(0, 2);
      if (p === (std === "PM" ? "PM" : "pm")) pm = true;
      else if (p === (std === "PM" ? "AM" : "am")) am = true;
      else bad();
      value = value.slice(2);
    } else if (/^[-Z]/.test(std) && std !== "Z") {
      if (std[0] === "Z" && value[0] === "Z") {
        value = value.slice(1);
        offset = 0;
      } else {
        const shape = std.slice(1);
        const m =
          shape === "07:00"
            ? /^([+-])(\d\d):(\d\d)/.exec(value)
            : shape === "07"
              ? /^([+-])(\d\d)/.exec(value)
              : shape === "07:00:00"
                ? /^([+-])(\d\d):(\d\d):(\d\d)/.exec(value)
                : shape === "070000"
                  ? /^([+-])(\d\d)(\d\d)(\d\d)/.exec(value)
                  : /^([+-])(\d\d)(\d\d)/.exec(value);
        if (!m) return bad();
        const [h, mm, ss] = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
        if (h > 24 || mm > 60 || ss > 60) bad("time zone offset out of range");
        offset = (m[1] === "-" ? -1 : 1) * (h * 3600 + mm * 60 + ss);
        value = value.slice(m[0].length);
      }
    } else if (std === "MST") {
      if (value.startsWith("UTC")) {
        value = value.slice(3);
        offset = 0;
      } else {
        const n = zoneNameLength(value);
        if (n === 0) bad();
        // Go keeps the instant of the civil time read as UTC: an abbreviation only names the zone
        // (even "GMT+3": its offset changes how the time prints, not when it is).
        offset = 0;
        value = value.slice(n);
      }
    } else if (/^[.,]0/.test(std)) {
      if (value.length < std.length) bad();
      nanos = nanoseconds(value, std.length);
      value = value.slice(std.length);
    } else if (/^[.,]9/.test(std)) {
      if (value.length >= 2 && (value[0] === "." || value[0] === ",") && isDigitAt(value, 1)) {
        let n = 1;
        while (isDigitAt(value, n + 1)) n++;
        nanos = nanoseconds(value, n + 1);
        value = value.slice(n + 1);
      }
    }
  }
  flush();
  if (value.length > 0) bad(`extra text: ${JSON.stringify(value)}`);
  if (pm && hour < 12) hour += 12;
  else if (am && hour === 12) hour = 0;
  if (yearDay >= 0) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    if (yearDay < 1 || yearDay > (leap ? 366 : 365)) bad("day-of-year out of range");
    let m = 1;
    let d = yearDay;
    while (d > daysIn(year, m)) d -= daysIn(year, m++);
    if ((month >= 0 && month !== m) || (day >= 0 && day !== d)) bad("day-of-year does not match month or day");
    month = m;
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(year, month)) bad("day out of range");
  return { year, month, day, hour, minute, second, nanos, offset };
}
