// regex.globs_match(a, b): whether some non-empty string matches both regex-style globs, as OPA
// decides it (github.com/yashtewari/glob-intersection, v0.2.0). The glob language: a character,
// `.` (any), or a class `[...]` (characters and ranges `a-z`, no negation), each optionally
// followed by `+` or `*`; `\` escapes anything; both globs are anchored at both ends. A flag with
// nothing before it, `]` without `[`, an unclosed class, a bad range or a trailing `\` is an error.
// The decision procedure is the library's, step for step (including its trimming of matching
// unflagged tokens at both ends, which keeps one token on the left), so that the answers agree
// even where that procedure is incomplete; it is exponential only in the number of flags.
// Classes are kept as sorted code-point ranges rather than one entry per character, so a class
// like [\u0000-\u{10FFFF}] costs two numbers, with the same answers. Pure.
import { fail } from "./operands.ts";

type Flag = "" | "+" | "*";

type Token =
  | { kind: "char"; code: number; flag: Flag }
  | { kind: "dot"; flag: Flag }
  | { kind: "set"; ranges: [number, number][]; flag: Flag };

/** Sorted, merged ranges: two classes hold the same characters iff their forms are equal. */
function normalise(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

class Reader {
  index = 0;
  constructor(private readonly input: number[]) {}

  get done(): boolean {
    return this.index >= this.input.length;
  }

  get remaining(): number {
    return this.input.length - this.index;
  }

  /** The next character and whether it was escaped. */
  next(): { code: number; escaped: boolean } {
    const code = this.input[this.index] as number;
    if (code === 0x5c) {
      if (this.index === this.input.length - 1) fail("regex.globs_match: input ends with a \\ (escape) character");
      this.index += 2;
      return { code: this.input[this.index - 1] as number, escaped: true };
    }
    this.index++;
    return { code, escaped: false };
  }
}

function readClass(reader: Reader): [number, number][] {
  const ranges: [number, number][] = [];
  let previous: number | undefined;
  while (!reader.done) {
    const { code, escaped } = reader.next();
    if (escaped) {
      ranges.push([code, code]);
      previous = code;
      continue;
    }
    if (code === 0x5d) return normalise(ranges);
    if (code === 0x2d) {
      if (previous === undefined) fail("regex.globs_match: range character '-' must be preceded by a character");
      if (reader.remaining <= 1) fail("regex.globs_match: range character '-' must be followed by a character");
      const end = reader.next();
      if (!end.escaped && (end.code === 0x5d || end.code === 0x2d)) {
        fail("regex.globs_match: range character '-' cannot be followed by a special symbol");
      }
      if (end.code < previous) fail("regex.globs_match: range is out of order");
      ranges.push([previous, end.code]);
      previous = undefined;
      continue;
    }
    ranges.push([code, code]);
    previous = code;
  }
  return fail("regex.globs_match: found [ without matching ]");
}

function tokenize(glob: string): Token[] {
  const reader = new Reader(Array.from(glob, (c) => c.codePointAt(0) as number));
  const tokens: Token[] = [];
  while (!reader.done) {
    const { code, escaped } = reader.next();
    let token: Token;
    if (!escaped && code === 0x2e) token = { kind: "dot", flag: "" };
    else if (!escaped && code === 0x5d) return fail("regex.globs_match: set-close ']' with no preceding '['");
    else if (!escaped && code === 0x5b) token = { kind: "set", ranges: readClass(reader), flag: "" };
    else if (!escaped && (code === 0x2b || code === 0x2a))
      return fail("regex.globs_match: flag must be preceded by a non-flag");
    else token = { kind: "char", code, flag: "" };
    if (!reader.done) {
      const at = reader.index;
      const flag = reader.next();
      if (!flag.escaped && (flag.code === 0x2b || flag.code === 0x2a)) token.flag = flag.code === 0x2b ? "+" : "*";
      else reader.index = at;
    }
    tokens.push(token);
  }
  return tokens;
}

function sameToken(a: Token, b: Token): boolean {
  if (a.kind === "char" && b.kind === "char") return a.code === b.code;
  if (a.kind === "dot" && b.kind === "dot") return true;
  if (a.kind === "set" && b.kind === "set") {
    return (
      a.ranges.length === b.ranges.length &&
      a.ranges.every(([lo, hi], i) => b.ranges[i]?.[0] === lo && b.ranges[i]?.[1] === hi)
    );
  }
  return false;
}

/** Adjacent flagged tokens that are equal collapse into one (`+` if either is `+`). */
function simplify(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (const token of tokens) {
    const last = out[out.length - 1];
    if (last && token.flag !== "" && last.flag !== "" && sameToken(token, last)) {
      last.flag = token.flag === "+" || last.flag === "+" ? "+" : "*";
    } else out.push(token);
  }
  return out;
}

const inClass = (code: number, ranges: [number, number][]) => ranges.some(([lo, hi]) => lo <= code && code <= hi);

/** Whether two single tokens can match a common character. */
function match(a: Token, b: Token): boolean {
  if (a.kind === "dot" || b.kind === "dot") return true;
  if (a.kind === "char" && b.kind === "char") return a.code === b.code;
  if (a.kind === "char" && b.kind === "set") return inClass(a.code, b.ranges);
  if (a.kind === "set" && b.kind === "char") return inClass(b.code, a.ranges);
  if (a.kind === "set" && b.kind === "set")
    return a.ranges.some(([lo, hi]) => b.ranges.some(([l, h]) => lo <= h && l <= hi));
  return false;
}

function trim(g1: Token[], g2: Token[]): [Token[], Token[]] | undefined {
  let l = 0;
  for (; l < g1.length && l < g2.length && g1[l]?.flag === "" && g2[l]?.flag === ""; l++) {
    if (!match(g1[l] as Token, g2[l] as Token)) return undefined;
  }
  if (l > 0) l--;
  let r1 = g1.length - 1;
  let r2 = g2.length - 1;
  for (; r1 >= 0 && r1 >= l && r2 >= 0 && r2 >= l && g1[r1]?.flag === "" && g2[r2]?.flag === ""; r1--, r2--) {
    if (!match(g1[r1] as Token, g2[r2] as Token)) return undefined;
  }
  if (r1 < g1.length - 1) {
    r1++;
    r2++;
  }
  return [g1.slice(l, r1 + 1), g2.slice(l, r2 + 1)];
}

function intersectNormal(g1: Token[], g2: Token[]): boolean {
  let i = 0;
  let j = 0;
  for (; i < g1.length && j < g2.length; i++, j++) {
    const a = g1[i] as Token;
    const b = g2[j] as Token;
    if (a.flag === "" && b.flag === "") {
      if (!match(a, b)) return false;
    } else return intersectSpecial(g1.slice(i), g2.slice(j));
  }
  return i === g1.length && j === g2.length;
}

function intersectSpecial(g1: Token[], g2: Token[]): boolean {
  const [flagged, other] = (g1[0] as Token).flag !== "" ? [g1, g2] : [g2, g1];
  return (flagged[0] as Token).flag === "+" ? intersectPlus(flagged, other) : intersectStar(flagged, other);
}

function intersectPlus(plussed: Token[], other: Token[]): boolean {
  if (!match(plussed[0] as Token, other[0] as Token)) return false;
  if (intersectStar(plussed, other.slice(1))) return true;
  return (other[0] as Token).flag !== "" && intersectNormal(plussed.slice(1), other);
}

function intersectStar(starred: Token[], other: Token[]): boolean {
  const star = starred[0] as Token;
  const next = starred[1];
  for (let i = 0; i < other.length; i++) {
    const t = other[i] as Token;
    if (next !== undefined && match(t, next)) {
      if (intersectNormal(starred.slice(1), other.slice(i))) return true;
      if (!match(t, star)) return false;
    } else if (!match(t, star)) return false;
  }
  return next === undefined;
}

/** Whether the globs `a` and `b` both match some non-empty string; throws on a malformed glob. */
export function globsIntersect(a: string, b: string): boolean {
  const g1 = simplify(tokenize(a));
  const g2 = simplify(tokenize(b));
  const trimmed = trim(g1, g2);
  return trimmed !== undefined && intersectNormal(trimmed[0], trimmed[1]);
}
