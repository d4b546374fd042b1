// PEM and base64 exactly as Go's encoding/pem.Decode and base64.StdEncoding read them, for the
// crypto builtins whose input OPA hands to those functions. pem.Decode (Go 1.26) finds a block by
// its "\n-----END " line and the nearest "-----BEGIN " line start before it, allows "Key: value"
// headers after the type line, base64 with spaces, tabs and line breaks between, and an END line
// that repeats the type; what does not fit is skipped and the search goes on. StdEncoding is
// padded base64 that ignores CR and LF anywhere. Inputs are byte strings (latin1), as Go's bytes.

export interface PemBlock {
  type: string;
  headers: Record<string, string>;
  bytes: Buffer;
}

/** Go's base64.StdEncoding.DecodeString; undefined where Go returns an error. */
export function stdBase64(text: string): Buffer | undefined {
  const clean = text.replace(/[\r\n]/g, "");
  if (!/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean) || clean.length % 4 !== 0) {
    return undefined;
  }
  return Buffer.from(clean, "base64");
}

function getLine(data: string): { line: string; rest: string; consumed: number } {
  const i = data.indexOf("\n");
  if (i < 0) return { line: data.replace(/[ \t]+$/, ""), rest: "", consumed: data.length };
  const end = i > 0 && data[i - 1] === "\r" ? i - 1 : i;
  return { line: data.slice(0, end).replace(/[ \t]+$/, ""), rest: data.slice(i + 1), consumed: i + 1 };
}

const PEM_END = "\n-----END ";
const PEM_START = "-----BEGIN ";

/** The first PEM block of `data` and what follows it, or undefined (Go's pem.Decode). */
export function decodePem(data: string): { block: PemBlock; rest: string } | undefined {
  let rest = data;
  let endTrailerIndex = 0;
  for (;;) {
    if (endTrailerIndex < 0 || endTrailerIndex > rest.length) return undefined;
    rest = rest.slice(endTrailerIndex);
    let endIndex = rest.indexOf(PEM_END);
    if (endIndex < 0) return undefined;
    endTrailerIndex = endIndex + PEM_END.length;
    const beginIndex = rest.lastIndexOf(PEM_START, endIndex - 1);
    if (beginIndex < 0 || (beginIndex > 0 && rest[beginIndex - 1] !== "\n")) continue;
    rest = rest.slice(beginIndex + PEM_START.length);
    endIndex -= beginIndex + PEM_START.length;
    endTrailerIndex -= beginIndex + PEM_START.length;
    const typeLine = getLine(rest);
    rest = typeLine.rest;
    endIndex -= typeLine.consumed;
    endTrailerIndex -= typeLine.consumed;
    if (!typeLine.line.endsWith("-----")) continue;
    const type = typeLine.line.slice(0, -5);
    const headers: Record<string, string> = {};
    for (;;) {
      if (rest.length === 0) return undefined;
      const header = getLine(rest);
      const colon = header.line.indexOf(":");
      if (colon < 0) break;
      headers[header.line.slice(0, colon).trim()] = header.line.slice(colon + 1).trim();
      rest = header.rest;
      endIndex -= header.consumed;
      endTrailerIndex -= header.consumed;
    }
    if (Object.keys(headers).length > 0 && endIndex < 0) continue;
    let endTrailer = rest.slice(endTrailerIndex);
    const trailerLength = type.length + 5;
    if (endTrailer.length < trailerLength) continue;
    const restOfEndLine = endTrailer.slice(trailerLength);
    endTrailer = endTrailer.slice(0, trailerLength);
    if (!endTrailer.startsWith(type) || !endTrailer.endsWith("-----")) continue;
    if (getLine(restOfEndLine).line.length !== 0) continue;
    let bytes: Buffer = Buffer.alloc(0);
    if (endIndex > 0) {
      const decoded = stdBase64(rest.slice(0, endIndex).replace(/[ \t]/g, ""));
      if (decoded === undefined) continue;
      bytes = decoded;
    }
    return { block: { type, headers, bytes }, rest: getLine(rest.slice(endIndex + PEM_END.length - 1)).rest };
  }
}

/** Every PEM block of `data`, in order (Go's loop of pem.Decode until it finds none). */
export function pemBlocks(data: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (let rest = data; ; ) {
    const next = decodePem(rest);
    if (!next) return blocks;
    blocks.push(next.block);
    rest = next.rest;
  }
}

export const latin1 = (text: string) => Buffer.from(text, "utf8").toString("latin1");
