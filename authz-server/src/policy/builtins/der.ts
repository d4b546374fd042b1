// A small reader of DER (X.690) for the X.509 builtins: one element at a time (tag, length,
// content), the children of a constructed element, object identifiers and INTEGERs. Lengths above
// 2^32 and indefinite lengths are refused (DER has no indefinite form); a truncated element throws.
import { fail } from "./operands.ts";

export interface Der {
  tag: number;
  /** The whole element (tag, length, content). */
  raw: Buffer;
  content: Buffer;
}

/** One DER element at `offset`, and where it ends. */
export function read(buffer: Buffer, offset = 0): Der & { end: number } {
  const tag = buffer[offset];
  let length = buffer[offset + 1];
  if (tag === undefined || length === undefined) fail("x509: truncated DER");
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) fail("x509: unsupported DER length");
    length = 0;
    for (let i = 0; i < bytes; i++)
      length = length * 256 + ((buffer[start + i] as number | undefined) ?? fail("x509: truncated DER"));
    start += bytes;
  }
  const end = start + length;
  if (end > buffer.length) fail("x509: truncated DER");
  return { tag, raw: buffer.subarray(offset, end), content: buffer.subarray(start, end), end };
}

export function children(element: Der): Der[] {
  const out: Der[] = [];
  for (let offset = 0; offset < element.content.length; ) {
    const child = read(element.content, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** The arcs of an OBJECT IDENTIFIER's content. */
export function oid(content: Buffer): number[] {
  const ids: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      ids.push(value);
      value = 0;
    }
  }
  const first = ids.shift() ?? 0;
  return [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80, ...ids];
}

export function unsigned(content: Buffer): bigint {
  return content.length === 0 ? 0n : BigInt(`0x${content.toString("hex")}`);
}

/** A two's-complement INTEGER's content. */
export function signedInteger(content: Buffer): bigint {
  const value = unsigned(content);
  return content.length > 0 && (content[0] as number) & 0x80 ? value - (1n << BigInt(content.length * 8)) : value;
}
