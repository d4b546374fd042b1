// multipart/form-data read exactly as opa-envoy-plugin reads it: Go's mime/multipart Reader over
// the whole body, NextPart until io.EOF, every part with a form name read in full (JSON parts
// parsed, others kept as text), parts without one skipped. The Reader's rules, from Go's source:
//   - lines before the first `--boundary` line are a preamble; a boundary line may end in spaces
//     or tabs; if the first one ends in a bare LF, LF is the line break from then on;
//   - a part's headers are MIME headers (net/textproto: `Name: value`, continuation lines that
//     start with a space or tab, names of token characters, values of visible characters, at most
//     10000 headers and 10 MB per part); a part whose headers run into the end of the body ends
//     the form silently (Go returns io.EOF);
//   - a part's content runs to the next CRLF `--boundary` followed by a space, tab, CR, LF, `--`,
//     or the end of the body; a boundary string elsewhere is content; no such boundary is an
//     error ("unexpected EOF"), and so is a body that ends without the closing `--boundary--`;
//   - `Content-Transfer-Encoding: quoted-printable` parts are decoded;
//   - the lines the Reader scans between parts go through a 4096-byte buffer: a longer one is an
//     error ("bufio: buffer full").
// Part contents are bytes; they are read as UTF-8 (invalid sequences become U+FFFD, where Go keeps
// the bytes). Pure.
import { MAX_JSON_DEPTH, parseJsonText } from "./json-text.ts";
import { MediaTypeError, parseMediaType } from "./media-type.ts";
import { decodeQuotedPrintable } from "./quoted-printable.ts";
import type { RawJsonSlot } from "./raw-json.ts";

export class MultipartError extends Error {}

/** Go's bufio size in the multipart Reader. */
const PEEK_BUFFER = 4096;
/** Go's default `multipartmaxheaders` and maxMIMEHeaderSize, per part. */
const MAX_HEADERS = 10_000;
const MAX_HEADER_BYTES = 10 << 20;

type Headers = Map<string, string[]>;

interface Line {
  bytes: Buffer;
  /** The line reached the end of the body without a newline. */
  eof: boolean;
}

const CRLF = Buffer.from("\r\n");
const LF = Buffer.from("\n");

/** RFC 7230 token characters, the bytes Go accepts in a header name. */
function isHeaderNameByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    (b > 0x20 && b < 0x7f && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)))
  );
}

/** Visible ASCII, space, tab, or any byte above 0x7f. */
function isHeaderValueByte(b: number): boolean {
  return b === 0x09 || (b >= 0x20 && b !== 0x7f);
}

/** Go's CanonicalMIMEHeaderKey for a valid name; a name containing a space is kept as it is. */
function canonicalKey(name: string): string {
  if (name.includes(" ")) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function trimSpTab(bytes: Buffer): Buffer {
  let start = 0;
  let end = bytes.length;
  while (start < end && (bytes[start] === 0x20 || bytes[start] === 0x09)) start++;
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--;
  return bytes.subarray(start, end);
}

/** Go's multipart.Reader over a complete body. */
export class GoMultipartReader {
  private pos = 0;
  private partsRead = 0;
  private nl: Buffer = CRLF;
  private readonly dashBoundary: Buffer;
  private readonly dashBoundaryDash: Buffer;
  private nlDashBoundary: Buffer;

  constructor(
    private readonly data: Buffer,
    private readonly boundary: string,
  ) {
    this.dashBoundary = Buffer.from(`--${boundary}`);
    this.dashBoundaryDash = Buffer.from(`--${boundary}--`);
    this.nlDashBoundary = Buffer.concat([CRLF, this.dashBoundary]);
  }

  /** The next part's headers, or undefined at the end of the form. */
  nextPart(): Headers | undefined {
    if (this.boundary === "") throw new MultipartError("multipart: boundary is empty");
    let expectNewPart = false;
    for (;;) {
      const line = this.readSlice();
      if (line.eof && this.isFinalBoundary(line.bytes)) return undefined;
      if (line.eof) throw new MultipartError("multipart: NextPart: EOF");
      if (this.isBoundaryDelimiterLine(line.bytes)) {
        this.partsRead++;
        return this.readHeaders();
      }
      if (this.isFinalBoundary(line.bytes)) return undefined;
      if (expectNewPart) throw new MultipartError("multipart: expecting a new Part");
      if (this.partsRead === 0) continue; // preamble
      if (line.bytes.equals(this.nl)) {
        expectNewPart = true;
        continue;
      }
      throw new MultipartError("multipart: unexpected line in Next()");
    }
  }

  /** The current part's content, up to its closing boundary. Throws when there is none. */
  readContent(): Buffer {
    const start = this.pos;
    let from = start;
    if (this.startsWith(this.dashBoundary, start)) {
      if (this.boundaryEnds(start + this.dashBoundary.length)) return Buffer.alloc(0);
      from = start + this.dashBoundary.length;
    }
    for (;;) {
      const at = this.data.indexOf(this.nlDashBoundary, from);
      if (at === -1) {
        this.pos = this.data.length;
        throw new MultipartError("unexpected EOF");
      }
      if (this.boundaryEnds(at + this.nlDashBoundary.length)) {
        this.pos = at;
        return this.data.subarray(start, at);
      }
      from = at + this.nlDashBoundary.length;
    }
  }

  /** Go's matchAfterPrefix: a boundary is followed by space, tab, CR, LF, `--` or the end. */
  private boundaryEnds(after: number): boolean {
    if (after >= this.data.length) return true;
    const c = this.data[after];
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) return true;
    return c === 0x2d && this.data[after + 1] === 0x2d;
  }

  private startsWith(prefix: Buffer, at: number): boolean {
    return (
      this.data.length - at >= prefix.length &&
      this.data.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0
    );
  }

  /** bufio.Reader.ReadSlice('\n') with Go's 4096-byte buffer. */
  private readSlice(): Line {
    const newline = this.data.indexOf(0x0a, this.pos);
    const end = newline === -1 ? this.data.length : newline + 1;
    if (end - this.pos > PEEK_BUFFER) throw new MultipartError("multipart: NextPart: bufio: buffer full");
    const bytes = this.data.subarray(this.pos, end);
    this.pos = end;
    return { bytes, eof: newline === -1 };
  }

  private isFinalBoundary(line: Buffer): boolean {
    if (!line.subarray(0, this.dashBoundaryDash.length).equals(this.dashBoundaryDash)) return false;
    const rest = trimLeadingSpTab(line.subarray(this.dashBoundaryDash.length));
    return rest.length === 0 || rest.equals(this.nl);
  }

  private isBoundaryDelimiterLine(line: Buffer): boolean {
    if (!line.subarray(0, this.dashBoundary.length).equals(this.dashBoundary)) return false;
    const rest = trimLeadingSpTab(line.subarray(this.dashBoundary.length));
    if (this.partsRead === 0 && rest.length === 1 && rest[0] === 0x0a) {
      this.nl = LF;
      this.nlDashBoundary = this.nlDashBoundary.subarray(1);
    }
    return rest.equals(this.nl);
  }

  /** bufio.Reader.ReadLine: a line without its LF (and the CR before it); undefined at the end. */
  private readLine(): Buffer | undefined {
    if (this.pos >= this.data.length) return undefined;
    const newline = this.data.indexOf(0x0a, this.pos);
    if (newline === -1) {
      const line = this.data.subarray(this.pos);
      this.pos = this.data.length;
      return line;
    }
    const end = newline > this.pos && this.data[newline - 1] === 0x0d ? newline - 1 : newline;
    const line = this.data.subarray(this.pos, end);
    this.pos = newline + 1;
    return line;
  }

  /** net/textproto's readMIMEHeader; undefined when the body ends inside the header block. */
  private readHeaders(): Headers | undefined {
    const headers: Headers = new Map();
    const first = this.data[this.pos];
    if (first === 0x20 || first === 0x09) throw new MultipartError("malformed MIME header initial line");
    let budget = MAX_HEADER_BYTES - 400;
    let count = MAX_HEADERS;
    for (;;) {
      const line = this.readLine();
      if (line === undefined) return undefined;
      if (line.length === 0) return headers;
      if (line.length > budget) throw new MultipartError("multipart: message too large");
      if (!line.includes(0x3a)) throw new MultipartError("malformed MIME header: missing colon");
      let joined = trimSpTab(line);
      while (this.data[this.pos] === 0x20 || this.data[this.pos] === 0x09) {
        while (this.data[this.pos] === 0x20 || this.data[this.pos] === 0x09) this.pos++;
        const next = this.readLine();
        joined = Buffer.concat([joined, Buffer.from(" "), next === undefined ? Buffer.alloc(0) : trimSpTab(next)]);
        if (next === undefined) break;
      }
      const colon = joined.indexOf(0x3a);
      const name = joined.subarray(0, colon);
      const value = joined.subarray(colon + 1);
      if (name.length === 0 || !name.every((b) => isHeaderNameByte(b) || b === 0x20)) {
        throw new MultipartError("malformed MIME header line");
      }
      if (!value.every(isHeaderValueByte)) throw new MultipartError("malformed MIME header line");
      if (--count < 0) throw new MultipartError("multipart: message too large");
      const key = canonicalKey(name.toString("latin1"));
      const trimmed = trimLeadingSpTab(value);
      const values = headers.get(key);
      if (!values) budget -= key.length + 200;
      budget -= trimmed.length;
      const text = trimmed.toString("utf8");
      if (budget < 0) throw new MultipartError("multipart: message too large");
      if (values) values.push(text);
      else headers.set(key, [text]);
    }
  }
}

function trimLeadingSpTab(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
  return bytes.subarray(i);
}

/** Part.FormName: the `name` parameter of a `form-data` Content-Disposition, else "". */
function formName(headers: Headers): string {
  const disposition = headers.get("Content-Disposition")?.[0] ?? "";
  try {
    const parsed = parseMediaType(disposition);
    return parsed.type === "form-data" ? (parsed.params.get("name") ?? "") : "";
  } catch (err) {
    if (err instanceof MediaTypeError) return "";
    throw err;
  }
}

export interface MultipartForm {
  values: Record<string, unknown[]>;
  /** JSON parts whose numbers must reach the policy as written (raw-json.ts). */
  rawJson: RawJsonSlot[];
}

/** Field name → values, for a body whose Content-Type carries `boundary`. */
export function parseMultipartForm(body: Buffer, boundary: string, maxJsonDepth = MAX_JSON_DEPTH): MultipartForm {
  const values = new Map<string, unknown[]>(); // any field name, `__proto__` included, is data
  const rawJson: RawJsonSlot[] = [];
  const reader = new GoMultipartReader(body, boundary);
  for (;;) {
    const headers = reader.nextPart();
    if (headers === undefined) break;
    const name = formName(headers);
    if (name === "") {
      try {
        reader.readContent(); // Go's Part.Close discards the content, errors ignored
      } catch {}
      continue;
    }
    let content = reader.readContent();
    if ((headers.get("Content-Transfer-Encoding")?.[0] ?? "").toLowerCase() === "quoted-printable") {
      content = decodeQuotedPrintable(content);
    }
    let list = values.get(name);
    if (!list) {
      list = [];
      values.set(name, list);
    }
    if ((headers.get("Content-Type")?.[0] ?? "").includes("application/json")) {
      const parsed = parseJsonText(content.toString("utf8"), maxJsonDepth);
      if (parsed.exactText !== undefined)
        rawJson.push({ holder: list, key: String(list.length), text: parsed.exactText });
      list.push(parsed.value);
    } else {
      list.push(content.toString("utf8"));
    }
  }
  return { values: Object.fromEntries(values), rawJson };
}
