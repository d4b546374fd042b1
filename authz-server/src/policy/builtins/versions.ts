// semver.compare / semver.is_valid (OPA's internal/semver: SemVer 2.0 with an optional leading
// `v`, no leading zeros, build metadata ignored when comparing) and units.parse /
// units.parse_bytes (topdown/parse_units.go, parse_bytes.go): a decimal number with an optional
// exponent and a unit, computed exactly (units.parse: an integer, else 10 decimal places;
// units.parse_bytes: truncated to an integer).

import { RawRego } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { fail, str } from "./operands.ts";

const IDENTIFIERS = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;

interface Version {
  core: [bigint, bigint, bigint];
  pre: string;
}

function numeric(s: string): bigint {
  if (!/^\d+$/.test(s) || (s.length > 1 && s[0] === "0"))
    fail(`${JSON.stringify(s)} is not a valid numeric identifier`);
  const n = BigInt(s);
  if (n >= 2n ** 63n) fail("value out of range");
  return n;
}

function parseVersion(text: string): Version {
  let version = text.startsWith("v") ? text.slice(1) : text;
  const plus = version.indexOf("+");
  if (plus !== -1) {
    if (!IDENTIFIERS.test(version.slice(plus + 1))) fail("invalid metadata identifier");
    version = version.slice(0, plus);
  }
  let pre = "";
  const dash = version.indexOf("-");
  if (dash !== -1) {
    pre = version.slice(dash + 1);
    if (!IDENTIFIERS.test(pre) || pre.split(".").some((id) => id.length > 1 && id[0] === "0" && /^\d+$/.test(id))) {
      fail("invalid pre-release identifier");
    }
    version = version.slice(0, dash);
  }
  const parts = version.split(".");
  if (parts.length !== 3) fail("should contain major, minor, and patch versions");
  return { core: parts.map(numeric) as [bigint, bigint, bigint], pre };
}

function comparePre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "") return 1;
  if (b === "") return -1;
  const xs = a.split(".");
  const ys = b.split(".");
  for (let i = 0; ; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x === undefined && y === undefined) return 0;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn !== yn) return xn ? -1 : 1;
    if (xn) {
      const d = BigInt(x) - BigInt(y);
      if (d !== 0n) return d > 0n ? 1 : -1;
    } else if (x !== y) return x > y ? 1 : -1;
  }
}

function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const x = a.core[i] as bigint;
    const y = b.core[i] as bigint;
    if (x !== y) return x > y ? 1 : -1;
  }
  return comparePre(a.pre, b.pre);
}

/** A decimal (optional sign, fraction, exponent) as an exact fraction. */
function rational(text: string): [bigint, bigint] {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) fail("could not parse amount to a number");
  const digits = `${m[2]}${m[3] ?? ""}` || "0";
  let numerator = BigInt(digits) * (m[1] === "-" ? -1n : 1n);
  let denominator = 10n ** BigInt((m[3] ?? "").length);
  const exponent = Number(m[4] ?? 0);
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  return [numerator, denominator];
}

function splitAmount(s: string): [string, string] {
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if (/[0-9.+-]/.test(c)) continue;
    if (c === "e" || c === "E") {
      const next = s[i + 1];
      if (next === undefined || !/[0-9+-]/.test(next)) break;
      if (next === "+" || next === "-") i++;
      let end = i + 1;
      while (end < s.length && /[0-9]/.test(s[end] as string)) end++;
      if (end - (i + 1) > 6) fail("exponent too large");
      continue;
    }
    break;
  }
  return [s.slice(0, i), s.slice(i)];
}

const SI: Record<string, bigint> = {
  k: 1000n,
  m: 1000n ** 2n,
  g: 1000n ** 3n,
  t: 1000n ** 4n,
  p: 1000n ** 5n,
  e: 1000n ** 6n,
};
const BINARY: Record<string, bigint> = {
  ki: 2n ** 10n,
  mi: 2n ** 20n,
  gi: 2n ** 30n,
  ti: 2n ** 40n,
  pi: 2n ** 50n,
  ei: 2n ** 60n,
};

function unitsParse(raw: string): RawRego {
  const s = raw.replaceAll('"', "");
  if (s.includes(" ")) fail("spaces not allowed in resource strings");
  const [amount, unitText] = splitAmount(s);
  if (amount === "") fail("no amount provided");
  const unit = unitText.length > 1 ? unitText[0] + unitText.slice(1).toLowerCase() : unitText;
  let factor: [bigint, bigint];
  if (unit === "m") factor = [1n, 1000n];
  else if (unit === "") factor = [1n, 1n];
  else if (unit === "M") factor = [SI.m as bigint, 1n];
  else if (unit !== "" && unit.toLowerCase() in SI && unit !== "M" && unit.length === 1)
    factor = [SI[unit.toLowerCase()] as bigint, 1n];
  else if (unit.toLowerCase() in BINARY) factor = [BINARY[unit.toLowerCase()] as bigint, 1n];
  else return fail(`unit ${unit} not recognized`);
  const [n, d] = rational(amount);
  const num = n * factor[0];
  const den = d * factor[1];
  if (num % den === 0n) return new RawRego((num / den).toString());
  // big.Rat.FloatString(10): rounded half away from zero to 10 decimal places.
  const negative = num < 0n;
  const abs = negative ? -num : num;
  const scaled = (abs * 10n ** 10n * 2n + den) / (2n * den);
  const whole = scaled / 10n ** 10n;
  const fraction = (scaled % 10n ** 10n).toString().padStart(10, "0");
  return new RawRego(`${negative ? "-" : ""}${whole}.${fraction}`);
}

function unitsParseBytes(raw: string): RawRego {
  const s = raw.toLowerCase().replaceAll('"', "");
  if (s.includes(" ")) fail("spaces not allowed in resource strings");
  const [amount, unit] = splitAmount(s);
  if (amount === "") fail("no byte amount provided");
  let factor: bigint;
  if (unit === "") factor = 1n;
  else if (/^[kmgtpe]b?$/.test(unit)) factor = SI[unit[0] as string] as bigint;
  else if (/^[kmgtpe]ib?$/.test(unit)) factor = BINARY[unit.slice(0, 2)] as bigint;
  else return fail(`byte unit ${unit} not recognized`);
  const [n, d] = rational(amount);
  return new RawRego(((n * factor) / d).toString());
}

export const versionBuiltins: Record<string, Builtin> = {
  "semver.is_valid": ([v]) => {
    if (typeof v !== "string") return false;
    try {
      parseVersion(v);
      return true;
    } catch {
      return false;
    }
  },
  "semver.compare": ([a, b]) =>
    compareVersions(parseVersion(str(a, "semver.compare")), parseVersion(str(b, "semver.compare"))),
  "units.parse": ([s]) => unitsParse(str(s, "units.parse")),
  "units.parse_bytes": ([s]) => unitsParseBytes(str(s, "units.parse_bytes")),
};
