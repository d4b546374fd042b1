// String builtins (topdown/strings.go, glob.go): counts and indexes in code points for non-ASCII
// text (Go's runes), Go's strings.SplitN for strings.split_n, gobwas/glob's QuoteMeta.
import type { Builtin } from "../wasm-host.ts";
import { fail, int, str, strings as stringItems } from "./operands.ts";

function codePoints(s: string): string[] {
  return Array.from(s);
}

function count(base: string, search: string): number {
  if (search === "") return codePoints(base).length + 1;
  let n = 0;
  for (let i = base.indexOf(search); i !== -1; i = base.indexOf(search, i + search.length)) n++;
  return n;
}

function indexesOf(base: string, search: string): number[] {
  if (search === "") fail("indexof_n: empty search character");
  const isAscii = (s: string) => [...s].every((c) => c.charCodeAt(0) < 0x80);
  const out: number[] = [];
  if (isAscii(base) && isAscii(search)) {
    for (let i = base.indexOf(search); i !== -1; i = base.indexOf(search, i + 1)) out.push(i);
    return out;
  }
  const b = codePoints(base);
  const s = codePoints(search);
  for (let i = 0; i + s.length <= b.length; i++) {
    if (s.every((c, j) => b[i + j] === c)) out.push(i);
  }
  return out;
}

function splitN(text: string, delimiter: string, n: number): string[] {
  const parts = goSplit(text, delimiter);
  if (n >= 0) {
    const limited = goSplitN(text, delimiter, n + 1);
    return limited.slice(0, Math.min(n, limited.length));
  }
  return parts.slice(Math.max(parts.length + n, 0));
}

/** strings.Split: an empty separator splits after each UTF-8 sequence (code point). */
function goSplit(text: string, sep: string): string[] {
  return sep === "" ? codePoints(text) : text.split(sep);
}

/** strings.SplitN(s, sep, n): at most n parts, the last one the unsplit rest. */
function goSplitN(text: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const all = goSplit(text, sep);
  if (n < 0 || all.length <= n) return all;
  return [...all.slice(0, n - 1), all.slice(n - 1).join(sep)];
}

function affixMatch(search: unknown, base: unknown, suffix: boolean, name: string): boolean {
  const list = (v: unknown, what: string) =>
    typeof v === "string" ? [v] : stringItems(v as never, `${name}: ${what}`);
  const candidates = list(search, "search");
  const affixes = list(base, "base");
  return candidates.some((c) => affixes.some((a) => (suffix ? c.endsWith(a) : c.startsWith(a))));
}

const GLOB_SPECIALS = new Set(["*", "?", "\\", "[", "]", "{", "}"]);

export const stringBuiltins: Record<string, Builtin> = {
  "strings.count": ([s, search]) => count(str(s, "strings.count"), str(search, "strings.count")),
  "strings.any_prefix_match": ([s, base]) => affixMatch(s, base, false, "strings.any_prefix_match"),
  "strings.any_suffix_match": ([s, base]) => affixMatch(s, base, true, "strings.any_suffix_match"),
  "strings.split_n": ([s, d, n]) =>
    splitN(str(s, "strings.split_n"), str(d, "strings.split_n"), int(n, "strings.split_n")),
  indexof_n: ([s, search]) => indexesOf(str(s, "indexof_n"), str(search, "indexof_n")),
  "glob.quote_meta": ([p]) =>
    Array.from(str(p, "glob.quote_meta"))
      .map((c) => (GLOB_SPECIALS.has(c) ? `\\${c}` : c))
      .join(""),
};
