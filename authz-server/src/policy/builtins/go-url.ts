// Go's net/url.Parse (Go 1.26, the toolchain of the pinned OPA), for the builtins that hand a URL to
// it: uri.parse, uri.is_valid, providers.aws.sign_req. Go works on bytes, so this does too: strings
// here are "byte strings" (one char per byte, latin1), converted from and to UTF-8 at the edges;
// a percent-escape that decodes to bytes that are not UTF-8 becomes U+FFFD when converted back.
// Rules kept from Go: control bytes refused; scheme `[A-Za-z][A-Za-z0-9+.-]*:` lower-cased; a
// rootless path after a scheme is opaque; a first relative segment with ':' refused; authority
// with userinfo (last '@'), bracketed IPv6 literals (zone after %25), ports of digits only, and
// since Go 1.26 a second ':' in an http(s) host refused; RawPath kept only when the path's own
// escaping differs. Pure.
import { parseIp } from "./net.ts";

export class GoUrlError extends Error {}

enum Mode {
  Path = 1,
  PathSegment = 2,
  Host = 4,
  Zone = 8,
  UserPassword = 16,
  QueryComponent = 32,
  Fragment = 64,
}

function isAlphaNumeric(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

/** Go's shouldEscape: whether byte `c` must be %-escaped in `mode`. */
function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlphaNumeric(c)) return false;
  const ch = String.fromCharCode(c);
  if ((mode === Mode.Host || mode === Mode.Zone) && "!$&'()*+,;=:[]<>\"".includes(ch)) return false;
  if ("-_.~".includes(ch)) return false;
  if ("$&+,/:;=?@".includes(ch)) {
    switch (mode) {
      case Mode.Path:
        return ch === "?";
      case Mode.PathSegment:
        return ch === "/" || ch === ";" || ch === "," || ch === "?";
      case Mode.UserPassword:
        return ch === "@" || ch === "/" || ch === "?" || ch === ":";
      case Mode.QueryComponent:
        return true;
      case Mode.Fragment:
        return false;
    }
  }
  if (mode === Mode.Fragment && "!()*".includes(ch)) return false;
  return true;
}

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

function percentDecode(s: string, mode: Mode): string {
  let hasEscape = false;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= s.length || !isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) {
        throw new GoUrlError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      const value = Number.parseInt(s.slice(i + 1, i + 3), 16);
      if (mode === Mode.Host && value < 0x80 && s.slice(i, i + 3) !== "%25") {
        throw new GoUrlError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      if (mode === Mode.Zone && s.slice(i, i + 3) !== "%25" && value !== 0x20 && shouldEscape(value, Mode.Host)) {
        throw new GoUrlError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      hasEscape = true;
      i += 3;
    } else {
      if ((mode === Mode.Host || mode === Mode.Zone) && c < 0x80 && shouldEscape(c, mode)) {
        throw new GoUrlError(`invalid character ${JSON.stringify(s[i])} in host name`);
      }
      if (c === 0x2b && mode === Mode.QueryComponent) hasEscape = true;
      i++;
    }
  }
  if (!hasEscape) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === "%") {
      out += String.fromCharCode(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += c === "+" && mode === Mode.QueryComponent ? " " : c;
  }
  return out;
}

function percentEncode(s: string, mode: Mode): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x20 && mode === Mode.QueryComponent) out += "+";
    else if (shouldEscape(c, mode)) out += `%${c.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += s[i];
  }
  return out;
}

/** A parsed URL: the fields of Go's url.URL that the builtins read, as UTF-8 strings. */
export interface GoUrl {
  scheme: string;
  opaque: string;
  host: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  fragment: string;
  /** The escaped path Go's EscapedPath returns (the request line's path). */
  escapedPath: string;
  rawFragment: string;
  forceQuery: boolean;
  omitHost: boolean;
  /** Userinfo, when the authority has one: the decoded name and password. */
  user?: { username: string; password?: string };
  /** The URL reassembled by Go's (*URL).String. */
  text: string;
}

const toBytes = (text: string) => Buffer.from(text, "utf8").toString("latin1");
const fromBytes = (bytes: string) => Buffer.from(bytes, "latin1").toString("utf8");

function scheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) continue;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return ["", raw];
      continue;
    }
    if (c === 0x3a) {
      if (i === 0) throw new GoUrlError("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw];
  }
  return ["", raw];
}

const validOptionalPort = (port: string) => port === "" || /^:[0-9]*$/.test(port);

const USERINFO = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

function parseHost(schemeName: string, host: string): string {
  const open = host.lastIndexOf("[");
  if (open > 0) throw new GoUrlError("invalid IP-literal");
  if (open === 0) {
    const close = host.lastIndexOf("]");
    if (close < 0) throw new GoUrlError("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new GoUrlError(`invalid port ${JSON.stringify(colonPort)} after host`);
    const name = host.slice(1, close);
    const zone = name.indexOf("%25");
    const literal =
      zone >= 0
        ? percentDecode(name.slice(0, zone), Mode.Host) + percentDecode(name.slice(zone), Mode.Zone)
        : percentDecode(name, Mode.Host);
    const percent = literal.indexOf("%");
    const address = percent >= 0 ? literal.slice(0, percent) : literal;
    if (percent >= 0 && percent === literal.length - 1)
      throw new GoUrlError("invalid host: zone must be a non-empty string");
    const ip = address.includes(":") ? parseIp(address) : address.includes(".") ? parseIp(address) : undefined;
    if (!ip) throw new GoUrlError("invalid host");
    if (!ip.v6) throw new GoUrlError("invalid IP-literal");
    return `[${literal}]${colonPort}`;
  }
  const first = host.indexOf(":");
  if (first !== -1) {
    const last = host.lastIndexOf(":");
    const at = last !== first && (schemeName === "http" || schemeName === "https") ? first : last;
    const colonPort = host.slice(at);
    if (!validOptionalPort(colonPort)) throw new GoUrlError(`invalid port ${JSON.stringify(colonPort)} after host`);
  }
  return percentDecode(host, Mode.Host);
}

function parseAuthority(schemeName: string, authority: string): Pick<GoUrl, "host" | "user"> {
  const at = authority.lastIndexOf("@");
  const host = parseHost(schemeName, at < 0 ? authority : authority.slice(at + 1));
  if (at < 0) return { host };
  const userinfo = authority.slice(0, at);
  if (!USERINFO.test(userinfo)) throw new GoUrlError("net/url: invalid userinfo");
  const colon = userinfo.indexOf(":");
  if (colon < 0) return { host, user: { username: percentDecode(userinfo, Mode.UserPassword) } };
  return {
    host,
    user: {
      username: percentDecode(userinfo.slice(0, colon), Mode.UserPassword),
      password: percentDecode(userinfo.slice(colon + 1), Mode.UserPassword),
    },
  };
}

/** Go's (*URL).EscapedPath over byte strings. */
function escapedPath(path: string, rawPath: string): string {
  if (rawPath !== "" && validEncoded(rawPath)) {
    try {
      if (percentDecode(rawPath, Mode.Path) === path) return rawPath;
    } catch {
      // an invalid RawPath is ignored, as in Go
    }
  }
  if (path === "*") return "*";
  return percentEncode(path, Mode.Path);
}

function validEncoded(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if ("!$&'()*+,;=:@[]%".includes(ch)) continue;
    if (shouldEscape(s.charCodeAt(i), Mode.Path)) return false;
  }
  return true;
}

/** Go's (*URL).EscapedFragment over byte strings. */
function escapedFragment(fragment: string, rawFragment: string): string {
  if (rawFragment !== "" && validEncoded(rawFragment)) {
    try {
      if (percentDecode(rawFragment, Mode.Fragment) === fragment) return rawFragment;
    } catch {
      // an invalid RawFragment is ignored, as in Go
    }
  }
  return percentEncode(fragment, Mode.Fragment);
}

/** Go's (*URL).String over byte strings. */
function reassemble(u: GoUrl): string {
  let out = u.scheme ? `${u.scheme}:` : "";
  if (u.opaque !== "") out += u.opaque;
  else {
    if ((u.scheme !== "" || u.host !== "" || u.user) && !(u.omitHost && u.host === "" && !u.user)) {
      if (u.host !== "" || u.path !== "" || u.user) out += "//";
      if (u.user) {
        out += percentEncode(u.user.username, Mode.UserPassword);
        if (u.user.password !== undefined) out += `:${percentEncode(u.user.password, Mode.UserPassword)}`;
        out += "@";
      }
      if (u.host !== "") out += percentEncode(u.host, Mode.Host);
    }
    const path = u.escapedPath;
    if (path !== "" && path[0] !== "/" && u.host !== "") out += "/";
    if (out === "" && (path.split("/")[0] as string).includes(":")) out += "./";
    out += path;
  }
  if (u.forceQuery || u.rawQuery !== "") out += `?${u.rawQuery}`;
  if (u.fragment !== "") out += `#${escapedFragment(u.fragment, u.rawFragment)}`;
  return out;
}

/** Go's url.Parse: throws GoUrlError where Go returns an error. */
export function parseGoUrl(text: string): GoUrl {
  const hash = text.indexOf("#");
  const raw = toBytes(hash < 0 ? text : text.slice(0, hash));
  const frag = hash < 0 ? "" : toBytes(text.slice(hash + 1));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are what Go refuses
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new GoUrlError("net/url: invalid control character in URL");
  const url: GoUrl = {
    scheme: "",
    opaque: "",
    host: "",
    path: "",
    rawPath: "",
    rawQuery: "",
    fragment: "",
    escapedPath: "",
    rawFragment: "",
    forceQuery: false,
    omitHost: false,
    text: "",
  };
  if (raw === "*") {
    url.path = "*";
    url.escapedPath = "*";
  } else {
    let [schemeName, rest] = scheme(raw);
    schemeName = schemeName.toLowerCase();
    url.scheme = schemeName;
    if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) {
      url.forceQuery = true;
      rest = rest.slice(0, -1);
    } else {
      const q = rest.indexOf("?");
      if (q >= 0) {
        url.rawQuery = rest.slice(q + 1);
        rest = rest.slice(0, q);
      }
    }
    let opaque = false;
    if (!rest.startsWith("/")) {
      if (schemeName !== "") {
        url.opaque = rest;
        opaque = true;
      } else if ((rest.split("/")[0] as string).includes(":")) {
        throw new GoUrlError("first path segment in URL cannot contain colon");
      }
    }
    if (!opaque) {
      if ((schemeName !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
        let authority = rest.slice(2);
        rest = "";
        const slash = authority.indexOf("/");
        if (slash >= 0) {
          rest = authority.slice(slash);
          authority = authority.slice(0, slash);
        }
        Object.assign(url, parseAuthority(schemeName, authority));
      } else if (schemeName !== "" && rest.startsWith("/")) url.omitHost = true;
      url.path = percentDecode(rest, Mode.Path);
      url.rawPath = percentEncode(url.path, Mode.Path) === rest ? "" : rest;
      url.escapedPath = escapedPath(url.path, url.rawPath);
    }
  }
  if (frag !== "") {
    url.fragment = percentDecode(frag, Mode.Fragment);
    url.rawFragment = percentEncode(url.fragment, Mode.Fragment) === frag ? "" : frag;
  }
  url.text = reassemble(url);
  for (const key of [
    "opaque",
    "host",
    "path",
    "rawPath",
    "rawQuery",
    "fragment",
    "escapedPath",
    "rawFragment",
    "text",
  ] as const) {
    url[key] = fromBytes(url[key]);
  }
  if (url.user) {
    url.user = {
      username: fromBytes(url.user.username),
      ...(url.user.password !== undefined ? { password: fromBytes(url.user.password) } : {}),
    };
  }
  return url;
}

/** Go's url.URL as encoding/json writes it (a Userinfo has no exported fields: `{}`). */
export function goUrlJson(u: GoUrl): Record<string, unknown> {
  return {
    ForceQuery: u.forceQuery,
    Fragment: u.fragment,
    Host: u.host,
    OmitHost: u.omitHost,
    Opaque: u.opaque,
    Path: u.path,
    RawFragment: u.rawFragment,
    RawPath: u.rawPath,
    RawQuery: u.rawQuery,
    Scheme: u.scheme,
    User: u.user ? {} : null,
  };
}

/** Go's (*URL).Hostname and Port: `host[:port]`, brackets of an IPv6 literal removed. */
export function splitHostPort(hostPort: string): { hostname: string; port: string } {
  let hostname = hostPort;
  let port = "";
  const colon = hostname.lastIndexOf(":");
  if (colon !== -1 && validOptionalPort(hostname.slice(colon))) {
    port = hostname.slice(colon + 1);
    hostname = hostname.slice(0, colon);
  }
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  return { hostname, port };
}
