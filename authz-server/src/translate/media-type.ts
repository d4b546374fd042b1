// Media types with parameters (`Content-Type`, `Content-Disposition`) parsed as Go's
// mime.ParseMediaType parses them, because opa-envoy-plugin reads multipart bodies through it:
// RFC 2045 tokens and quoted strings (a backslash escapes only a tspecial; before anything else it
// is a literal backslash, as Go keeps it for MSIE paths), lower-cased parameter names, duplicate
// names an error unless equal, a trailing `;` allowed, and RFC 2231 continuations and charset
// encodings (`name*0`, `name*=utf-8''%E2%82%AC`). Pure.

export class MediaTypeError extends Error {}

export interface MediaType {
  type: string;
  params: Map<string, string>;
}

/** Go's unicode.IsSpace (JS's \s also counts U+FEFF and lacks U+0085). */
const SPACE =
  "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
const TSPECIALS = '()<>@,;:\\"/[]?=';

function isSpace(c: string): boolean {
  return SPACE.includes(c);
}

function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i] as string)) i++;
  return s.slice(i);
}

function trimSpace(s: string): string {
  let end = s.length;
  while (end > 0 && isSpace(s[end - 1] as string)) end--;
  return trimLeftSpace(s.slice(0, end));
}

/** RFC 2045 token character: visible US-ASCII except tspecials. */
function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x7f && !TSPECIALS.includes(c);
}

function consumeToken(v: string): [token: string, rest: string] {
  let i = 0;
  while (i < v.length && isTokenChar(v[i] as string)) i++;
  return [v.slice(0, i), v.slice(i)];
}

/** A token or a quoted string; ["", v] when neither can be read. */
function consumeValue(v: string): [value: string, rest: string] {
  if (v === "") return ["", v];
  if (v[0] !== '"') return consumeToken(v);
  let out = "";
  for (let i = 1; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '"') return [out, v.slice(i + 1)];
    if (c === "\\" && i + 1 < v.length && TSPECIALS.includes(v[i + 1] as string)) {
      out += v[++i];
      continue;
    }
    if (c === "\r" || c === "\n") return ["", v];
    out += c;
  }
  return ["", v]; // no closing quote
}

function consumeMediaParam(v: string): [name: string, value: string, rest: string] {
  let rest = trimLeftSpace(v);
  if (!rest.startsWith(";")) return ["", "", v];
  rest = trimLeftSpace(rest.slice(1));
  let name: string;
  [name, rest] = consumeToken(rest);
  name = name.toLowerCase();
  if (name === "") return ["", "", v];
  rest = trimLeftSpace(rest);
  if (!rest.startsWith("=")) return ["", "", v];
  rest = trimLeftSpace(rest.slice(1));
  const [value, after] = consumeValue(rest);
  if (value === "" && after === rest) return ["", "", v];
  return [name, value, after];
}

/** type "/" subtype, or a lone token (Content-Disposition). */
function checkType(s: string): void {
  const [type, rest] = consumeToken(s);
  if (type === "") throw new MediaTypeError("mime: no media type");
  if (rest === "") return;
  if (!rest.startsWith("/")) throw new MediaTypeError("mime: expected slash after first token");
  const [subtype, after] = consumeToken(rest.slice(1));
  if (subtype === "") throw new MediaTypeError("mime: expected token after slash");
  if (after !== "") throw new MediaTypeError("mime: unexpected content after media subtype");
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** `%XX` escapes → bytes, read as UTF-8; undefined when an escape is malformed. */
function percentHexUnescape(s: string): string | undefined {
  if (!s.includes("%")) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, "utf8")) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** RFC 2231 `charset'language'value`; only us-ascii and utf-8 are decoded. */
function decode2231(v: string): string | undefined {
  const first = v.indexOf("'");
  if (first === -1) return undefined;
  const second = v.indexOf("'", first + 1);
  if (second === -1) return undefined;
  const charset = v.slice(0, first).toLowerCase();
  if (charset !== "us-ascii" && charset !== "utf-8") return undefined;
  return percentHexUnescape(v.slice(second + 1));
}

function setOnce(map: Map<string, string>, key: string, value: string): void {
  const existing = map.get(key);
  if (existing !== undefined && existing !== value) throw new MediaTypeError("mime: duplicate parameter name");
  map.set(key, value);
}

function joinContinuations(params: Map<string, string>, continuations: Map<string, Map<string, string>>): void {
  for (const [name, pieces] of continuations) {
    const single = pieces.get(`${name}*`);
    if (single !== undefined) {
      const decoded = decode2231(single);
      if (decoded !== undefined) params.set(name, decoded);
      continue;
    }
    let joined = "";
    let valid = false;
    for (let n = 0; ; n++) {
      const plain = pieces.get(`${name}*${n}`);
      if (plain !== undefined) {
        valid = true;
        joined += plain;
        continue;
      }
      const encoded = pieces.get(`${name}*${n}*`);
      if (encoded === undefined) break;
      valid = true;
      joined += (n === 0 ? decode2231(encoded) : percentHexUnescape(encoded)) ?? "";
    }
    if (valid) params.set(name, joined);
  }
}

/** mime.ParseMediaType; throws MediaTypeError where Go returns an error. */
export function parseMediaType(value: string): MediaType {
  const semicolon = value.indexOf(";");
  const base = semicolon === -1 ? value : value.slice(0, semicolon);
  const type = trimSpace(base.toLowerCase());
  checkType(type);
  const params = new Map<string, string>();
  let continuations: Map<string, Map<string, string>> | undefined;
  let v = value.slice(base.length);
  while (v.length > 0) {
    v = trimLeftSpace(v);
    if (v.length === 0) break;
    const [name, paramValue, rest] = consumeMediaParam(v);
    if (name === "") {
      if (trimSpace(rest) === ";") break; // a trailing semicolon is not an error
      throw new MediaTypeError("mime: invalid media parameter");
    }
    let target = params;
    const star = name.indexOf("*");
    if (star !== -1) {
      continuations ??= new Map();
      const baseName = name.slice(0, star);
      let pieces = continuations.get(baseName);
      if (!pieces) {
        pieces = new Map();
        continuations.set(baseName, pieces);
      }
      target = pieces;
    }
    setOnce(target, name, paramValue);
    v = rest;
  }
  if (continuations) joinContinuations(params, continuations);
  return { type, params };
}
