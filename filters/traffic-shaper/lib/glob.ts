/**
 * Glob matching for paths, authorities, header values and subjects: `*` matches any run of
 * characters (including `/` and the empty run), `?` exactly one character; everything else is
 * literal and case-sensitive. No character classes, no escapes (config values never need them).
 *
 * Greedy with single-star backtracking (the classic two-pointer algorithm): O(|s|·|p|) worst
 * case, no recursion and no allocation, so a hostile path cannot blow the stack.
 */
export function globMatch(pattern: string, s: string): bool {
  let p = 0;
  let i = 0;
  let starP = -1;
  let starI = 0;
  const pl = pattern.length;
  const sl = s.length;
  while (i < sl) {
    const pc = p < pl ? pattern.charCodeAt(p) : -1;
    if (pc == 0x2a) {
      starP = p++;
      starI = i;
    } else if (pc >= 0 && (pc == 0x3f || pc == s.charCodeAt(i))) {
      p++;
      i++;
    } else if (starP >= 0) {
      p = starP + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (p < pl && pattern.charCodeAt(p) == 0x2a) p++;
  return p == pl;
}
