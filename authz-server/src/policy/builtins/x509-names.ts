// Names in certificates as Go's crypto/x509 (1.26) validates and matches them: domain names,
// RFC 2821 mailboxes, name constraints along a chain (constraints.go) and the DNSName check of
// verification (VerifyHostname). Matching is Go's, rule for rule; Go's sorted/pruned constraint
// sets are only a faster way to ask "does any constraint match", which is what is asked here.
// Names are byte strings (SANs are IA5, i.e. ASCII). Pure.
import { parseGoUrl } from "./go-url.ts";
import { parseIp } from "./net.ts";

/** Go's domainNameValid: no trailing dot, labels of printable ASCII, none empty ("" is valid;
 *  a constraint may start with "."). */
export function domainNameValid(name: string, constraint: boolean): boolean {
  if (name.length === 0) return true;
  if (name.endsWith(".")) return false;
  const s = constraint && name.startsWith(".") ? name.slice(1) : name;
  return s.split(".").every((label) => label.length > 0 && /^[\x21-\x7e]+$/.test(label));
}

/** Go's domainToReverseLabels validity: non-empty labels of printable ASCII, no trailing dot. */
function domainLabelsValid(domain: string): boolean {
  if (domain.length === 0) return true;
  return domain.split(".").every((label) => label.length > 0 && /^[\x21-\x7e]+$/.test(label));
}

export interface Mailbox {
  local: string;
  domain: string;
}

const ATEXT = /[0-9A-Za-z!#$%&'*+\-/=?^_`{|}~.]/;

/** Go's parseRFC2821Mailbox: a quoted or dot-atom local part, "@", a domain of valid labels. */
export function parseMailbox(text: string): Mailbox | undefined {
  if (text.length === 0) return undefined;
  let i = 0;
  let local = "";
  if (text[0] === '"') {
    i = 1;
    for (;;) {
      if (i >= text.length) return undefined;
      const c = text.charCodeAt(i++);
      if (c === 0x22) break;
      if (c === 0x5c) {
        if (i >= text.length) return undefined;
        const n = text.charCodeAt(i);
        if (n === 11 || n === 12 || (n >= 1 && n <= 9) || (n >= 14 && n <= 127)) {
          local += text[i];
          i++;
        } else return undefined;
      } else if (
        c === 11 ||
        c === 12 ||
        c === 32 ||
        c === 33 ||
        c === 127 ||
        (c >= 1 && c <= 8) ||
        (c >= 14 && c <= 31) ||
        (c >= 35 && c <= 91) ||
        (c >= 93 && c <= 126)
      ) {
        local += String.fromCharCode(c);
      } else return undefined;
    }
  } else {
    while (i < text.length) {
      let c = text[i] as string;
      if (c === "\\") {
        i++;
        if (i >= text.length) return undefined;
        c = text[i] as string;
        local += c;
        i++;
        continue;
      }
      if (!ATEXT.test(c)) break;
      local += c;
      i++;
    }
    if (local.length === 0 || local.startsWith(".") || local.endsWith(".") || local.includes("..")) return undefined;
  }
  if (text[i] !== "@") return undefined;
  const domain = text.slice(i + 1);
  if (!domainLabelsValid(domain)) return undefined;
  return { local, domain };
}

const lowerAscii = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Go's dnsHasSuffix(constraint, name): `constraint` is a case-insensitive suffix of `name` on a
 *  label boundary (or the constraint starts with "."). */
function dnsHasSuffix(constraint: string, name: string): boolean {
  if (constraint.length > name.length) return false;
  if (lowerAscii(constraint) !== lowerAscii(name.slice(name.length - constraint.length))) return false;
  if (constraint[0] !== "." && name.length > constraint.length && name[name.length - constraint.length - 1] !== ".") {
    return false;
  }
  return true;
}

function trimFirstLabel(name: string): string {
  const dot = name.indexOf(".");
  return dot < 0 ? "" : name.slice(dot);
}

/** Whether a list of DNS-style constraints (permitted or excluded) matches `name`. */
function dnsMatches(list: string[], name: string, permitted: boolean): boolean {
  if (list.some((c) => c.length === 0)) return true;
  if (list.some((c) => dnsHasSuffix(c, name))) return true;
  if (!permitted && name.startsWith("*")) {
    const parent = trimFirstLabel(lowerAscii(name));
    return list.some((c) => {
      const trimmed = trimFirstLabel(lowerAscii(c));
      return trimmed !== "" && trimmed === parent;
    });
  }
  return false;
}

function emailMatches(list: string[], mailbox: Mailbox, permitted: boolean): boolean {
  const domains: string[] = [];
  for (const c of list) {
    if (!c.includes("@")) {
      domains.push(c);
      continue;
    }
    const parsed = parseMailbox(c);
    if (parsed && parsed.local === mailbox.local && lowerAscii(parsed.domain) === mailbox.domain) return true;
  }
  return domains.length > 0 && dnsMatches(domains, mailbox.domain, permitted);
}

export interface IpNet {
  ip: Buffer;
  mask: Buffer;
}

function ipMatches(list: IpNet[], ip: Buffer): boolean {
  return list.some(
    (n) =>
      n.ip.length === ip.length &&
      n.ip.every((b, i) => (b & (n.mask[i] as number)) === ((ip[i] as number) & (n.mask[i] as number))),
  );
}

/** The name constraints a CA certificate carries (Go's Permitted* and Excluded* fields). */
export interface NameConstraints {
  permittedDns: string[];
  excludedDns: string[];
  permittedIps: IpNet[];
  excludedIps: IpNet[];
  permittedEmails: string[];
  excludedEmails: string[];
  permittedUris: string[];
  excludedUris: string[];
}

/** The names a certificate's subjectAltName holds, for constraint checks. */
export interface SubjectNames {
  dns: string[];
  emails: string[];
  ips: Buffer[];
  uris: string[];
}

/** The host a URI SAN is constrained by (Go's parseURIs); throws where Go refuses the URI. */
function uriDomain(uri: string): string {
  const parsed = parseGoUrl(uri);
  let host = lowerAscii(parsed.host);
  if (host.length === 0)
    throw new Error(`URI with empty host (${JSON.stringify(uri)}) cannot be matched against constraints`);
  if (host.includes(":") && !host.endsWith("]")) {
    const m = /^(?:\[([^\]]*)\]|([^:]*)):[^:]*$/.exec(parsed.host);
    if (!m) throw new Error(`cannot parse URI host ${JSON.stringify(parsed.host)}`);
    host = (m[1] ?? m[2]) as string;
  }
  if (parseIp(host) || (host.startsWith("[") && host.endsWith("]"))) {
    throw new Error(`URI with IP (${JSON.stringify(uri)}) cannot be matched against constraints`);
  }
  return host;
}

/** Go's constraint check of one certificate's names against one CA's constraints; the reason
 *  the chain is refused, or undefined. */
function violation(c: NameConstraints, names: SubjectNames): string | undefined {
  for (const ip of names.ips) {
    if (c.permittedIps.length > 0 && !ipMatches(c.permittedIps, ip)) return "IP address is not permitted";
    if (c.excludedIps.length > 0 && ipMatches(c.excludedIps, ip)) return "IP address is excluded";
  }
  for (const d of names.dns) {
    if (!domainNameValid(d, false)) return `cannot parse dnsName ${JSON.stringify(d)}`;
    if (c.permittedDns.length > 0 && !dnsMatches(c.permittedDns, d, true)) return "DNS name is not permitted";
    if (c.excludedDns.length > 0 && dnsMatches(c.excludedDns, d, false)) return "DNS name is excluded";
  }
  for (const u of names.uris) {
    const domain = uriDomain(u);
    if (!domainNameValid(domain, false)) return "URI SAN failed to parse";
    if (c.permittedUris.length > 0 && !dnsMatches(c.permittedUris, domain, true)) return "URI is not permitted";
    if (c.excludedUris.length > 0 && dnsMatches(c.excludedUris, domain, false)) return "URI is excluded";
  }
  for (const e of names.emails) {
    const mailbox = parseMailbox(e);
    if (!mailbox) return `cannot parse rfc822Name ${JSON.stringify(e)}`;
    mailbox.domain = lowerAscii(mailbox.domain);
    if (!domainNameValid(mailbox.domain, false)) return "cannot parse rfc822Name";
    if (c.permittedEmails.length > 0 && !emailMatches(c.permittedEmails, mailbox, true))
      return "email is not permitted";
    if (c.excludedEmails.length > 0 && emailMatches(c.excludedEmails, mailbox, false)) return "email is excluded";
  }
  return undefined;
}

export interface ChainLink {
  constraints?: NameConstraints;
  /** The certificate's SAN names; undefined without a subjectAltName extension. */
  names?: SubjectNames;
}

/** Go's checkChainConstraints: each certificate's SAN names against the constraints of every CA
 *  above it (chain[0] is the leaf). A reason when the chain is refused. */
export function chainConstraintViolation(chain: ChainLink[]): string | undefined {
  const constrained = chain.map((link, index) => ({ link, index })).filter(({ link }) => link.constraints);
  if (constrained.length === 0) return undefined;
  for (let i = 0; i < chain.length; i++) {
    const names = chain[i]?.names;
    if (!names) continue;
    const above = constrained.filter(({ index }) => index > i);
    if (above.length === 0) return undefined;
    try {
      for (const { link } of above) {
        const reason = violation(link.constraints as NameConstraints, names);
        if (reason) return reason;
      }
    } catch (err) {
      return (err as Error).message;
    }
  }
  return undefined;
}

function validHostname(host: string, isPattern: boolean): boolean {
  const h = isPattern ? host : host.replace(/\.$/, "");
  if (h.length === 0 || h === "*") return false;
  return h
    .split(".")
    .every(
      (part, i) => part !== "" && ((isPattern && i === 0 && part === "*") || /^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(part)),
    );
}

/** Go's (*Certificate).VerifyHostname against the leaf's DNS names and IP addresses. */
export function hostnameMatches(host: string, dnsNames: string[], ips: Buffer[]): boolean {
  const candidateIp = host.length >= 3 && host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const ip = parseIp(candidateIp);
  if (ip) {
    const bits = ip.v6 ? 128n : 32n;
    const wanted = Buffer.from(ip.value.toString(16).padStart(Number(bits / 4n), "0"), "hex");
    const mapped = (b: Buffer) =>
      b.length === 16 && b.subarray(0, 12).equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]))
        ? b.subarray(12)
        : b;
    return ips.some((candidate) => mapped(candidate).equals(mapped(wanted)));
  }
  const name = lowerAscii(host);
  const validName = validHostname(name, false);
  const parts = name.replace(/\.$/, "").split(".");
  return dnsNames.some((pattern) => {
    if (validName && validHostname(pattern, true)) {
      const patternParts = lowerAscii(pattern).split(".");
      return (
        pattern.length > 0 &&
        patternParts.length === parts.length &&
        patternParts.every((p, i) => (i === 0 && p === "*") || p === parts[i])
      );
    }
    if (pattern === "" || pattern === "." || name === "" || name === ".") return false;
    return lowerAscii(pattern) === name;
  });
}
