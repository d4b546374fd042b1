// Debian version strings ([epoch:]upstream[-revision]) and their ordering, as dpkg defines it
// (deb-version(7)): epochs compare as numbers, then upstream and revision part by part, where
// non-digit runs compare character by character with '~' before everything (even the end of the
// string) and letters before other characters, and digit runs compare as numbers.

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebianVersion(text: string): DebianVersion {
  const colon = text.indexOf(":");
  const epoch = colon >= 0 ? Number(text.slice(0, colon)) : 0;
  const rest = colon >= 0 ? text.slice(colon + 1) : text;
  const dash = rest.lastIndexOf("-");
  return {
    epoch: Number.isFinite(epoch) ? epoch : 0,
    upstream: dash >= 0 ? rest.slice(0, dash) : rest,
    revision: dash >= 0 ? rest.slice(dash + 1) : "",
  };
}

/** The upstream part without Debian's repack suffixes (`+dfsg`, `+ds`, `~...`): what the program reports. */
export const upstreamOf = (version: string): string => parseDebianVersion(version).upstream.replace(/[+~].*$/, "");

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === "~") return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const diff = order(a[i]) - order(b[j]);
      if (diff !== 0) return diff;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    let firstDiff = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = (a.charCodeAt(i) as number) - (b.charCodeAt(j) as number);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Negative, zero or positive as `a` sorts before, with or after `b` (like `dpkg --compare-versions`). */
export function compareDebianVersions(a: string, b: string): number {
  const va = parseDebianVersion(a);
  const vb = parseDebianVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return comparePart(va.upstream, vb.upstream) || comparePart(va.revision, vb.revision);
}

/** Dotted numeric versions ("7.0.15" vs "7.0.0"): missing parts count as 0. */
export function compareDotted(a: string, b: string): number {
  const pa = a.split(".").map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(".").map((n) => Number.parseInt(n, 10) || 0);
  for (let k = 0; k < Math.max(pa.length, pb.length); k++) {
    const diff = (pa[k] ?? 0) - (pb[k] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
