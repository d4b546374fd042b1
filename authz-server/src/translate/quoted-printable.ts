// Quoted-printable decoding (RFC 2045 §6.7) as Go's mime/quotedprintable reader does it, which Go's
// multipart reader applies to a part sent with `Content-Transfer-Encoding: quoted-printable`:
// trailing whitespace on a line is dropped, `=` at the end of a line joins it to the next (soft
// break), `=XX` is a byte, an `=` not followed by two hex digits is kept as it is, and a control
// byte other than TAB, CR, LF is an error. Lines are read through a 4096-byte buffer, so a longer
// line is an error too ("bufio: buffer full"). Pure.

export class QuotedPrintableError extends Error {}

/** bufio.Reader's default size, the longest line ReadSlice returns. */
const LINE_BUFFER = 4096;

function isDiscardedWhitespace(b: number): boolean {
  return b === 0x0a || b === 0x0d || b === 0x20 || b === 0x09;
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

interface Line {
  bytes: Buffer;
  /** Why reading stopped after this line: end of input, a too long line, or nothing yet. */
  end: "eof" | "buffer-full" | undefined;
}

function readLine(src: Buffer, pos: number): Line {
  const newline = src.indexOf(0x0a, pos);
  if (newline !== -1 && newline - pos + 1 <= LINE_BUFFER)
    return { bytes: src.subarray(pos, newline + 1), end: undefined };
  if (newline === -1 && src.length - pos <= LINE_BUFFER) return { bytes: src.subarray(pos), end: "eof" };
  return { bytes: src.subarray(pos, pos + LINE_BUFFER), end: "buffer-full" };
}

/** The decoded bytes of one line (with its CRLF or LF kept, unless it ends in a soft break). */
function decodeLine(line: Line, out: number[]): void {
  const whole = line.bytes;
  let end = whole.length;
  while (end > 0 && isDiscardedWhitespace(whole[end - 1] as number)) end--;
  let content = whole.subarray(0, end);
  let softBreakError = false;
  if (content.length > 0 && content[content.length - 1] === 0x3d) {
    let after = end;
    while (after < whole.length && (whole[after] === 0x20 || whole[after] === 0x09)) after++;
    const rest = whole.subarray(after);
    content = content.subarray(0, content.length - 1);
    const breaks = rest[0] === 0x0a || (rest[0] === 0x0d && rest[1] === 0x0a);
    softBreakError = !breaks && !(rest.length === 0 && content.length > 0 && line.end === "eof");
  } else if (whole[whole.length - 1] === 0x0a) {
    content = Buffer.concat([content, whole[whole.length - 2] === 0x0d ? Buffer.from("\r\n") : Buffer.from("\n")]);
  }
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (b === 0x3d) {
      const hi = hexValue(content[i + 1]);
      const lo = hexValue(content[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push(hi * 16 + lo);
        i += 2;
        continue;
      }
      const next = content[i + 1];
      if (next === undefined || next === 0x0d || next === 0x0a) {
        throw new QuotedPrintableError("quotedprintable: unexpected EOF");
      }
      out.push(b); // a lone `=` stays
      continue;
    }
    if (b !== 0x09 && b !== 0x0d && b !== 0x0a && b < 0x80 && (b < 0x20 || b > 0x7e)) {
      throw new QuotedPrintableError(`quotedprintable: invalid unescaped byte 0x${b.toString(16).padStart(2, "0")}`);
    }
    out.push(b);
  }
  if (softBreakError) throw new QuotedPrintableError("quotedprintable: invalid bytes after =");
}

export function decodeQuotedPrintable(src: Buffer): Buffer {
  const out: number[] = [];
  let pos = 0;
  for (;;) {
    const line = readLine(src, pos);
    pos += line.bytes.length;
    decodeLine(line, out);
    if (line.end === "eof") return Buffer.from(out);
    if (line.end === "buffer-full") throw new QuotedPrintableError("bufio: buffer full");
  }
}
