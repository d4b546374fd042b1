// regex.globs_match(a, b): whether some non-empty string matches both regex-style globs, as OPA
// decides it (github.com/yashtewari/glob-intersection, v0.2.0). The glob language: a character,
// `.` (any), or a class `[...]` (characters and ranges `a-z`, no negation), each optionally
// followed by `+` or `*`; `\` escapes anything; both globs are anchored at both ends. A flag with
// nothing before it, `]` without `[`, an unclosed class, a bad range or a trailing `\` is an error.
// The decision procedure is the library's, step for step (including its trimming of matching
// unflagged tokens at both ends, which keeps one token on the left), so that the answers agree
// even where that procedure is incomplete (its answers are remembered, see Intersection).
// Classes are kept as sorted code-point ranges rather than one entry per character, so a class
// like [\u0000-\u{10FFFF}] costs two numbers, with the same answers. Pure.
import { BuiltinHalt } from "../wasm-host.ts";
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

/** Whether `code` is in the sorted, disjoint `ranges` (binary search). */
function inClass(code: number, ranges: [number, number][]): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [from, to] = ranges[mid] as [number, number];
    if (code < from) hi = mid - 1;
    else if (code > to) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Whether two sorted, disjoint range lists overlap: one merge-like walk, linear in both. */
function classesOverlap(a: [number, number][], b: [number, number][]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i] as [number, number];
    const [blo, bhi] = b[j] as [number, number];
    if (alo <= bhi && blo <= ahi) return true;
    if (ahi < bhi) i++;
    else j++;
  }
  return false;
}

/** Whether two single tokens can match a common character. */
function match(a: Token, b: Token): boolean {
  if (a.kind === "dot" || b.kind === "dot") return true;
  if (a.kind === "char" && b.kind === "char") return a.code === b.code;
  if (a.kind === "char" && b.kind === "set") return inClass(a.code, b.ranges);
  if (a.kind === "set" && b.kind === "char") return inClass(b.code, a.ranges);
  if (a.kind === "set" && b.kind === "set") return classesOverlap(a.ranges, b.ranges);
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

/** Steps (calls and loop turns) one globs_match may take beyond a few per token (linear work is
 *  never cut short); past them the evaluation stops. */
export const GLOB_STEP_LIMIT = 1_000_000;
/** Nesting of the procedure's recursion one globs_match may reach (Go grows its stack; JS cannot). */
export const GLOB_DEPTH_LIMIT = 1_000;

const NORMAL = 0;
const PLUS = 1;
const STAR = 2;

/**
 * The library's procedure over the two token lists. Every call takes a suffix of one list and a
 * suffix of the other, so a call is named by (procedure, which list comes first, two offsets) and
 * its answer is remembered: the same answers, without the procedure's exponential repetition on
 * globs with many flags (OPA takes minutes on `.+a+` × 8 against `a+.*` × 8 + `b`). What remains
 * is polynomial and bounded by a step budget; past it the evaluation stops (BuiltinHalt), where OPA
 * runs until the query's deadline.
 */
class Intersection {
  private readonly memo = new Map<number, boolean>();
  private steps = 0;
  private depth = 0;
  private readonly budget: number;

  constructor(private readonly sides: readonly [Token[], Token[]]) {
    this.budget = GLOB_STEP_LIMIT + 8 * (sides[0].length + sides[1].length);
  }

  private list(side: number): Token[] {
    return side === 0 ? this.sides[0] : this.sides[1];
  }

  private key(procedure: number, side: number, i: number, j: number): number {
    return (
      ((procedure * 2 + side) * (this.sides[0].length + 1) + (side === 0 ? i : j)) * (this.sides[1].length + 1) +
      (side === 0 ? j : i)
    );
  }

  private tick(cost = 1): void {
    this.steps += cost;
    if (this.steps > this.budget) throw new BuiltinHalt(`regex.globs_match: more than ${GLOB_STEP_LIMIT} steps`);
  }

  /** match(), charged to the budget by the size of the classes it compares. */
  private meets(a: Token, b: Token): boolean {
    if (a.kind === "set" && b.kind === "set") this.tick((a.ranges.length + b.ranges.length) >> 4);
    return match(a, b);
  }

  private remembered(procedure: number, side: number, i: number, j: number, compute: () => boolean): boolean {
    const key = this.key(procedure, side, i, j);
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    this.tick();
    if (++this.depth > GLOB_DEPTH_LIMIT) {
      throw new BuiltinHalt(`regex.globs_match: recursion deeper than ${GLOB_DEPTH_LIMIT}`);
    }
    const answer = compute();
    this.depth--;
    this.memo.set(key, answer);
    return answer;
  }

  /** `sides[side]` from `i` against the other list from `j`. */
  normal(side: number, i: number, j: number): boolean {
    return this.remembered(NORMAL, side, i, j, () => {
      const first = this.list(side);
      const second = this.list(1 - side);
      let a = i;
      let b = j;
      for (; a < first.length && b < second.length; a++, b++) {
        this.tick();
        const x = first[a] as Token;
        const y = second[b] as Token;
        if (x.flag === "" && y.flag === "") {
          if (!this.meets(x, y)) return false;
        } else return this.special(side, a, b);
      }
      return a === first.length && b === second.length;
    });
  }

  private special(side: number, i: number, j: number): boolean {
    const firstFlagged = (this.list(side)[i] as Token).flag !== "";
    const [flaggedSide, f, o] = firstFlagged ? [side, i, j] : [1 - side, j, i];
    return (this.list(flaggedSide)[f] as Token).flag === "+"
      ? this.plus(flaggedSide, f, o)
      : this.star(flaggedSide, f, o);
  }

  /** A `+` token at `sides[side][f]` against the other list from `o` (never empty here). */
  private plus(side: number, f: number, o: number): boolean {
    return this.remembered(PLUS, side, f, o, () => {
      const plussed = this.list(side);
      const other = this.list(1 - side);
      if (!this.meets(plussed[f] as Token, other[o] as Token)) return false;
      if (this.star(side, f, o + 1)) return true;
      return (other[o] as Token).flag !== "" && this.normal(side, f + 1, o);
    });
  }

  /** A `*` (or, from plus, a `+`) token at `sides[side][f]` against the other list from `o`. */
  private star(side: number, f: number, o: number): boolean {
    return this.remembered(STAR, side, f, o, () => {
      const starred = this.list(side);
      const other = this.list(1 - side);
      const star = starred[f] as Token;
      const next = starred[f + 1];
      for (let k = o; k < other.length; k++) {
        this.tick();
        const t = other[k] as Token;
        if (next !== undefined && this.meets(t, next)) {
          if (this.normal(side, f + 1, k)) return true;
          if (!this.meets(t, star)) return false;
        } else if (!this.meets(t, star)) return false;
      }
      return next === undefined;
    });
  }
}

/** Whether the globs `a` and `b` both match some non-empty string; throws on a malformed glob. */
export function globsIntersect(a: string, b: string): boolean {
  const g1 = simplify(tokenize(a));
  const g2 = simplify(tokenize(b));
  const trimmed = trim(g1, g2);
  if (trimmed === undefined) return false;
  try {
    return new Intersection(trimmed).normal(0, 0, 0);
  } catch (err) {
    // The depth limit keeps well inside Node's stack; a caller already deep in it may still overflow.
    if (err instanceof RangeError) throw new BuiltinHalt("regex.globs_match: recursion too deep");
    throw err;
  }
}
