// JSON written as UTF-8 bytes straight into a byte array (the policy's Wasm memory), producing
// exactly the bytes `new TextEncoder().encode(JSON.stringify(value))` would, without the
// intermediate string and copy: same key order (Object.keys), same escapes (JSON.stringify's
// well-formed form: \b \t \n \f \r, other controls and lone surrogates as lower-case \uXXXX), same
// numbers (non-finite as null), undefined/functions/symbols skipped in objects and null in arrays,
// toJSON honoured. Values a double cannot hold travel as raw JSON slots (raw-json.ts): a (holder,
// key) listed in `RawTexts` is written as its text. Sizes are unbounded here; the request caps
// (transport/admission.ts) bound what reaches it.

/** Where a JsonWriter puts its bytes: a byte array that grows on request. */
export interface ByteSink {
  /** A view with room for at least `end` bytes (the old view may be detached afterwards). */
  reserve(end: number): Uint8Array;
}

/** A JavaScript byte array that doubles when it needs room. */
export class GrowableBytes implements ByteSink {
  bytes = new Uint8Array(4096);

  reserve(end: number): Uint8Array {
    if (end > this.bytes.length) {
      const next = new Uint8Array(Math.max(end, this.bytes.length * 2));
      next.set(this.bytes);
      this.bytes = next;
    }
    return this.bytes;
  }
}

/** Raw JSON texts by holder object and key (raw-json.ts slots, indexed). */
export type RawTexts = Map<object, Map<string, string>>;

const encoder = new TextEncoder();
/** Characters JSON.stringify escapes, plus surrogates (paired or not) for the character loop. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to find
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** Below this length a string is copied character by character: cheaper than the native encoder
 *  for the bench request's strings (microbenchmark: 24 → 256 took writing it from ~6.4 to ~5.6 µs). */
const NATIVE_FROM = 256;
const HEX = "0123456789abcdef";
const SHORT_ESCAPES: Record<number, number> = { 8: 98, 9: 116, 10: 110, 12: 102, 13: 114, 34: 34, 92: 92 };

export class JsonWriter {
  private bytes: Uint8Array;
  /** Next byte to write. */
  pos: number;

  constructor(
    private readonly sink: ByteSink,
    start: number,
  ) {
    this.pos = start;
    this.bytes = sink.reserve(start);
  }

  private ensure(extra: number): void {
    if (this.pos + extra > this.bytes.length) this.bytes = this.sink.reserve(this.pos + extra);
  }

  /** ASCII text as it is (punctuation, digits, literals, raw JSON texts that are ASCII). */
  ascii(text: string): void {
    this.ensure(text.length);
    const bytes = this.bytes;
    let pos = this.pos;
    for (let i = 0; i < text.length; i++) bytes[pos++] = text.charCodeAt(i);
    this.pos = pos;
  }

  byte(code: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = code;
  }

  /** Any JSON text written as it is (a raw slot's digits, a body's exact text). */
  raw(text: string): void {
    this.ensure(text.length * 3);
    this.pos += encoder.encodeInto(text, this.bytes.subarray(this.pos)).written;
  }

  /** A JSON string literal, as JSON.stringify quotes `text`. */
  string(text: string): void {
    // Room for the worst case only: 3 bytes per UTF-16 unit of plain text, 6 where an escape
    // (\u001f, \udc00) may occur, so memory grows with the JSON's real size.
    const native = text.length >= NATIVE_FROM && !NEEDS_CARE.test(text);
    this.ensure(text.length * (native ? 3 : 6) + 2);
    const bytes = this.bytes;
    bytes[this.pos++] = 34;
    if (native) this.pos += encoder.encodeInto(text, bytes.subarray(this.pos)).written;
    else this.pos = writeQuotedBody(bytes, this.pos, text);
    bytes[this.pos++] = 34;
  }

  number(value: number): void {
    this.ascii(Number.isFinite(value) ? String(value) : "null");
  }

  /** Writes `value` as JSON.stringify would at (`holder`, `key`); false when it writes nothing
   *  (undefined, a function or a symbol: the caller skips the property). */
  value(value: unknown, raws?: RawTexts, holder?: object, key = ""): boolean {
    if (holder !== undefined && raws !== undefined) {
      const raw = raws.get(holder)?.get(key);
      if (raw !== undefined) {
        this.raw(raw);
        return true;
      }
    }
    let v = value;
    if (typeof v === "object" && v !== null && typeof (v as { toJSON?: unknown }).toJSON === "function") {
      v = (v as { toJSON(key: string): unknown }).toJSON(key);
    }
    switch (typeof v) {
      case "string":
        this.string(v);
        return true;
      case "number":
        this.number(v);
        return true;
      case "boolean":
        this.ascii(v ? "true" : "false");
        return true;
      case "bigint":
        throw new TypeError("Do not know how to serialize a BigInt");
      case "object":
        if (v === null) this.ascii("null");
        else if (Array.isArray(v)) this.array(v, raws);
        else if (v instanceof Number || v instanceof String || v instanceof Boolean) this.value(v.valueOf());
        else this.object(v as Record<string, unknown>, raws);
        return true;
      default:
        return false;
    }
  }

  private array(items: readonly unknown[], raws?: RawTexts): void {
    this.byte(91);
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.byte(44);
      if (!this.value(items[i], raws, items, String(i))) this.ascii("null");
    }
    this.byte(93);
  }

  private object(object: Record<string, unknown>, raws?: RawTexts): void {
    this.byte(123);
    let first = true;
    for (const key of Object.keys(object)) {
      const mark = this.pos;
      this.property(key, first);
      if (this.value(object[key], raws, object, key)) first = false;
      else this.pos = mark; // nothing to write: take the key back
    }
    this.byte(125);
  }

  /** `"key":value` (after a comma unless `first`) as JSON.stringify writes a property; writes
   *  nothing and returns false when the value is skipped (undefined, a function, a symbol). */
  member(key: string, value: unknown, first: boolean, raws?: RawTexts): boolean {
    const mark = this.pos;
    this.property(key, first);
    if (this.value(value, raws)) return true;
    this.pos = mark;
    return false;
  }

  /** Starts an object property from its ready `"key":` bytes. */
  key(keyBytes: Uint8Array, first: boolean): void {
    this.ensure(keyBytes.length + 1);
    const bytes = this.bytes;
    let pos = this.pos;
    if (!first) bytes[pos++] = 44;
    for (let i = 0; i < keyBytes.length; i++) bytes[pos++] = keyBytes[i] as number;
    this.pos = pos;
  }

  /** Starts an object property: `"key":` after a comma unless it is the first. */
  property(key: string, first: boolean): void {
    if (!first) this.byte(44);
    this.string(key);
    this.byte(58);
  }
}

/** The inside of a quoted string, one UTF-16 unit at a time; returns the next position. */
function writeQuotedBody(bytes: Uint8Array, start: number, text: string): number {
  let pos = start;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 34 && c !== 92) {
        bytes[pos++] = c;
        continue;
      }
      bytes[pos++] = 92;
      const short = SHORT_ESCAPES[c];
      if (short !== undefined) bytes[pos++] = short;
      else pos = unicodeEscape(bytes, pos, c);
      continue;
    }
    if (c < 0x800) {
      bytes[pos++] = 0xc0 | (c >> 6);
      bytes[pos++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        bytes[pos++] = 0xf0 | (c >> 18);
        bytes[pos++] = 0x80 | ((c >> 12) & 0x3f);
        bytes[pos++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[pos++] = 0x80 | (c & 0x3f);
        continue;
      }
      bytes[pos++] = 92; // a lone surrogate: JSON.stringify escapes it
      pos = unicodeEscape(bytes, pos, c);
      continue;
    }
    bytes[pos++] = 0xe0 | (c >> 12);
    bytes[pos++] = 0x80 | ((c >> 6) & 0x3f);
    bytes[pos++] = 0x80 | (c & 0x3f);
  }
  return pos;
}

/** `uXXXX` (the backslash already written), lower-case hex as JSON.stringify writes it. */
function unicodeEscape(bytes: Uint8Array, start: number, code: number): number {
  let pos = start;
  bytes[pos++] = 117;
  for (let shift = 12; shift >= 0; shift -= 4) bytes[pos++] = HEX.charCodeAt((code >> shift) & 0xf);
  return pos;
}

/** Indexes raw JSON slots by holder and key for `JsonWriter.value`. */
export function rawTextsOf(slots: readonly { holder: object; key: string; text: string }[]): RawTexts | undefined {
  if (slots.length === 0) return undefined;
  const raws: RawTexts = new Map();
  for (const slot of slots) {
    let keys = raws.get(slot.holder);
    if (!keys) {
      keys = new Map();
      raws.set(slot.holder, keys);
    }
    keys.set(slot.key, slot.text);
  }
  return raws;
}
