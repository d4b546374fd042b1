// Time builtins with OPA's semantics (topdown/time.go), on exact nanoseconds (bigint): a time is a
// number of ns since the epoch, or [ns, zone] with an IANA zone name ("" and "UTC" are UTC,
// "Local" the server's zone); a non-integral or out-of-int64 number is an error. Civil dates follow
// the proleptic Gregorian calendar (days_from_civil / civil_from_days, H. Hinnant); zones other
// than UTC are resolved through Intl (the runtime's tz database, as Go's LoadLocation uses the
// system's). time.add_date normalises like Go's Date (Jan 31 + 1 month = Mar 3 in a common year);
// time.diff is OPA's (icza/gox) year/month/day/hour/minute/second difference.
import type { Builtin, BuiltinSpec } from "../wasm-host.ts";
import { type CivilFields, DAYS, goFormat, goParse, type LocalTime, NAMED_LAYOUTS } from "./go-time-format.ts";
import { fail, int, str } from "./operands.ts";

const NS_PER_SECOND = 1_000_000_000n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
interface Civil extends CivilFields {
  nanos: bigint;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && a < 0n) !== b < 0n ? q - 1n : q;
}

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function utcCivil(ns: bigint): Civil {
  const seconds = floorDiv(ns, NS_PER_SECOND);
  const days = Number(floorDiv(seconds, 86_400n));
  const secondOfDay = Number(seconds - BigInt(days) * 86_400n);
  const [year, month, day] = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(secondOfDay / 3600),
    minute: Math.floor((secondOfDay % 3600) / 60),
    second: secondOfDay % 60,
    nanos: ns - seconds * NS_PER_SECOND,
  };
}

function civilToUtcNs(c: Civil): bigint {
  const days = BigInt(daysFromCivil(c.year, c.month, c.day));
  return (days * 86_400n + BigInt(c.hour * 3600 + c.minute * 60 + c.second)) * NS_PER_SECOND + c.nanos;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC (seconds) at `ns`. */
function offsetSeconds(zone: string, ns: bigint): number {
  if (zone === "UTC") return 0;
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      era: "short",
    });
    formats.set(zone, format);
  }
  const seconds = floorDiv(ns, NS_PER_SECOND);
  const parts = Object.fromEntries(
    format.formatToParts(new Date(Number(seconds) * 1000)).map((p) => [p.type, p.value]),
  );
  const year = parts.era === "BC" ? 1 - Number(parts.year) : Number(parts.year);
  const local =
    daysFromCivil(year, Number(parts.month), Number(parts.day)) * 86_400 +
    Number(parts.hour) * 3600 +
    Number(parts.minute) * 60 +
    Number(parts.second);
  return local - Number(seconds);
}

interface Instant {
  ns: bigint;
  zone: string;
  /** time.format's layout, the array's third element. */
  layout?: string;
}

function zoneOf(name: string): string {
  if (name === "" || name === "UTC") return "UTC";
  const zone = name === "Local" ? Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    fail(`unknown time zone ${name}`);
  }
  return zone;
}

function instantOf(value: Parameters<Builtin>[0][number] | undefined): Instant {
  let ns: unknown = value;
  let zone = "UTC";
  let layout: string | undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) fail("time: operand must be a number or [number, zone]");
    ns = value[0];
    if (value.length > 1) zone = zoneOf(str(value[1], "time"));
    if (value.length > 2) layout = str(value[2], "time");
  }
  if (typeof ns === "number" && Number.isInteger(ns)) ns = BigInt(ns);
  if (typeof ns !== "bigint") fail("time: timestamp must be an integer number of nanoseconds");
  if (ns < INT64_MIN || ns > INT64_MAX) fail("timestamp too big");
  return layout === undefined ? { ns, zone } : { ns, zone, layout };
}

function civilIn(instant: Instant): Civil {
  return utcCivil(instant.ns + BigInt(offsetSeconds(instant.zone, instant.ns)) * NS_PER_SECOND);
}

/** The instant of a local civil time in `zone` (Go's Date: the offset in force at that time). */
function fromCivil(c: Civil, zone: string): bigint {
  const local = civilToUtcNs(c);
  if (zone === "UTC") return local;
  let guess = local - BigInt(offsetSeconds(zone, local)) * NS_PER_SECOND;
  guess = local - BigInt(offsetSeconds(zone, guess)) * NS_PER_SECOND;
  return guess;
}

/** Go's time.Date normalisation of month and day overflow. */
function normalise(c: Civil): Civil {
  const monthIndex = c.year * 12 + (c.month - 1);
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12 + 1;
  const [y, m, d] = civilFromDays(daysFromCivil(year, month, 1) + c.day - 1);
  return { ...c, year: y, month: m, day: d };
}

function safe(ns: bigint): bigint {
  if (ns < INT64_MIN || ns > INT64_MAX) fail("time outside of valid range");
  return ns;
}

function diff(a: Instant, b: Instant): number[] {
  let t1 = a;
  let t2 = { ns: b.ns, zone: a.zone };
  if (t1.ns > t2.ns) [t1, t2] = [t2, t1];
  const c1 = civilIn(t1);
  const c2 = civilIn(t2);
  let year = c2.year - c1.year;
  let month = c2.month - c1.month;
  let day = c2.day - c1.day;
  let hour = c2.hour - c1.hour;
  let minute = c2.minute - c1.minute;
  let second = c2.second - c1.second;
  if (second < 0) {
    second += 60;
    minute--;
  }
  if (minute < 0) {
    minute += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    const [, , overflowDay] = civilFromDays(daysFromCivil(c1.year, c1.month, 1) + 31);
    day += 32 - overflowDay;
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, minute, second];
}

const abbreviations = new Map<string, Intl.DateTimeFormat>();

/** The zone's abbreviation at `ns` (UTC, EST, PDT, ...); "" when the tz database has none. */
function abbreviation(zone: string, ns: bigint): string {
  if (zone === "UTC") return "UTC";
  let format = abbreviations.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" });
    abbreviations.set(zone, format);
  }
  const name = format
    .formatToParts(new Date(Number(floorDiv(ns, 1_000_000n))))
    .find((p) => p.type === "timeZoneName")?.value;
  return name && /^[A-Z]{3,5}$/.test(name) ? name : "";
}

function localTime(instant: Instant): LocalTime {
  const offset = offsetSeconds(instant.zone, instant.ns);
  const c = utcCivil(instant.ns + BigInt(offset) * NS_PER_SECOND);
  const days = daysFromCivil(c.year, c.month, c.day);
  return {
    ...c,
    nanos: Number(c.nanos),
    weekday: (((days + 4) % 7) + 7) % 7,
    yearDay: days - daysFromCivil(c.year, 1, 1) + 1,
    offset,
    abbreviation: abbreviation(instant.zone, instant.ns),
  };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function daysIn(year: number, month: number): number {
  return daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) - daysFromCivil(year, month, 1);
}

/** time.Parse(time.RFC3339, text).UnixNano(). */
export function parseRfc3339Ns(text: string): bigint {
  const m = RFC3339.exec(text);
  if (!m) fail(`parsing time ${JSON.stringify(text)} as RFC 3339`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) fail("month out of range");
  if (day < 1 || day > daysIn(year, month)) fail("day out of range");
  if (hour > 23 || minute > 59 || second > 59) fail("time out of range");
  const nanos = BigInt((m[7] ?? ".").slice(1).padEnd(9, "0").slice(0, 9));
  let offset = 0;
  if (m[8] !== "Z") {
    const [h, mm] = (m[8] as string).slice(1).split(":").map(Number) as [number, number];
    if (h > 23 || mm > 59) fail("time zone offset out of range");
    offset = (m[8]?.[0] === "-" ? -1 : 1) * (h * 3600 + mm * 60);
  }
  const utc = civilToUtcNs({ year, month, day, hour, minute, second, nanos }) - BigInt(offset) * NS_PER_SECOND;
  return safe(utc);
}

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: NS_PER_SECOND,
  m: 60n * NS_PER_SECOND,
  h: 3600n * NS_PER_SECOND,
  d: 86_400n * NS_PER_SECOND,
  w: 7n * 86_400n * NS_PER_SECOND,
  y: 365n * 86_400n * NS_PER_SECOND,
};

/** Go's time.ParseDuration, with OPA's d (24h), w (7d) and y (365d) units. */
export function parseDurationNs(text: string): bigint {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d|w|y))+|0)$/.exec(text);
  if (!m) fail(`time: invalid duration ${JSON.stringify(text)}`);
  if (m[2] === "0") return 0n;
  let total = 0n;
  for (const [, value, unit] of (m[2] as string).matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w|y)/g)) {
    const [whole, fraction = ""] = (value as string).split(".");
    const scale = UNITS[unit as string] as bigint;
    total += BigInt(whole || "0") * scale;
    if (fraction) total += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
  }
  const signed = m[1] === "-" ? -total : total;
  if (signed < INT64_MIN || signed > INT64_MAX) fail(`time: invalid duration ${JSON.stringify(text)}`);
  return signed;
}

const exact = (impl: Builtin): BuiltinSpec => ({ impl, bigIntegers: true });

export const timeBuiltins: Record<string, BuiltinSpec> = {
  "time.now_ns": exact((_args, context) => context.nowNs),
  "time.parse_rfc3339_ns": exact(([text]) => parseRfc3339Ns(str(text, "time.parse_rfc3339_ns"))),
  "time.parse_duration_ns": exact(([text]) => parseDurationNs(str(text, "time.parse_duration_ns"))),
  "time.date": exact(([t]) => {
    const c = civilIn(instantOf(t));
    return [c.year, c.month, c.day];
  }),
  "time.clock": exact(([t]) => {
    const c = civilIn(instantOf(t));
    return [c.hour, c.minute, c.second];
  }),
  "time.weekday": exact(([t]) => {
    const c = civilIn(instantOf(t));
    return DAYS[(((daysFromCivil(c.year, c.month, c.day) + 4) % 7) + 7) % 7] as string;
  }),
  "time.add_date": exact(([t, years, months, days]) => {
    const instant = instantOf(t);
    const c = civilIn(instant);
    const moved = normalise({
      ...c,
      year: c.year + int(years as number, "time.add_date"),
      month: c.month + int(months as number, "time.add_date"),
      day: c.day + int(days as number, "time.add_date"),
    });
    return safe(fromCivil(moved, instant.zone));
  }),
  "time.diff": exact(([a, b]) => diff(instantOf(a), instantOf(b))),
  "time.parse_ns": exact(([layout, text]) => {
    const l = str(layout, "time.parse_ns");
    const p = goParse(NAMED_LAYOUTS[l] ?? l, str(text, "time.parse_ns"));
    const local = civilToUtcNs({ ...p, nanos: BigInt(p.nanos) });
    return safe(local - BigInt(p.offset) * NS_PER_SECOND);
  }),
  "time.format": exact(([t]) => {
    const instant = instantOf(t);
    const layout = instant.layout || "RFC3339Nano";
    return goFormat(localTime(instant), NAMED_LAYOUTS[layout] ?? layout);
  }),
};
