/**
 * Small unsigned decimal numbers in text (ports, IPv4 octets, CIDR prefix lengths, the risk-score
 * header): ASCII digits only — no sign, no spaces, no exponent — at most `maxDigits` of them.
 * Returns −1 for anything else, so callers range-check one value instead of parsing twice.
 */
export function parseSmallDecimal(s: string, maxDigits: i32): i32 {
  if (s.length == 0 || s.length > maxDigits || maxDigits > 9) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}
