// Go's time.Format layouts (the reference time Mon Jan 2 15:04:05 MST 2006), as time.format uses
// them: the layout is read left to right for the same tokens Go's nextStdChunk finds (`January`,
// `Jan`, `Monday`, `Mon`, `MST`, `01`..`06`, `002`, `15`, `1`..`5`, `2006`, `_2`, `__2`, `PM`,
// `pm`, the numeric and ISO 8601 zones, `.000`/`.999` fractions); everything else is copied.
// OPA also takes Go's layout names (ANSIC, RFC3339, ...). Pure.

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
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
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

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
