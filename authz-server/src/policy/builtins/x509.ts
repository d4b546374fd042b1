// crypto.x509.parse_certificates with OPA's output: each certificate as Go's crypto/x509
// Certificate marshalled to JSON (field names, base64 bytes, OIDs as integer arrays, big integers
// as numbers, RFC 3339 times, Go's enum numbers for algorithms and usages), plus OPA's URIStrings.
// Input: PEM (CERTIFICATE blocks only), or base64 of DER or of PEM. The DER is read here (a small
// reader of the X.509 structure); extensions Meshward does not decode further (policies, name
// constraints) are listed in Extensions as Go lists them and their own fields stay Go's zero values.
import { X509Certificate } from "node:crypto";
import { RawRego, type RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { fail, str } from "./operands.ts";

interface Der {
  tag: number;
  /** The whole element (tag, length, content). */
  raw: Buffer;
  content: Buffer;
}

/** One DER element at `offset`. */
function read(buffer: Buffer, offset = 0): Der & { end: number } {
  const tag = buffer[offset];
  let length = buffer[offset + 1];
  if (tag === undefined || length === undefined) fail("x509: truncated DER");
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) fail("x509: unsupported DER length");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (buffer[start + i] as number);
    start += bytes;
  }
  const end = start + length;
  if (end > buffer.length) fail("x509: truncated DER");
  return { tag, raw: buffer.subarray(offset, end), content: buffer.subarray(start, end), end };
}

function children(element: Der): Der[] {
  const out: Der[] = [];
  for (let offset = 0; offset < element.content.length; ) {
    const child = read(element.content, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

function oid(content: Buffer): number[] {
  const first = content[0] as number;
  const out = [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80];
  let value = 0;
  for (const byte of content.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      out.push(value);
      value = 0;
    }
  }
  return out;
}

function unsigned(content: Buffer): bigint {
  return content.length === 0 ? 0n : BigInt(`0x${content.toString("hex")}`);
}

function signedInteger(content: Buffer): bigint {
  const value = unsigned(content);
  return content.length > 0 && (content[0] as number) & 0x80 ? value - (1n << BigInt(content.length * 8)) : value;
}

const b64 = (bytes: Buffer) => bytes.toString("base64");

const NAME_FIELDS: Record<string, string> = {
  "2.5.4.6": "Country",
  "2.5.4.10": "Organization",
  "2.5.4.11": "OrganizationalUnit",
  "2.5.4.7": "Locality",
  "2.5.4.8": "Province",
  "2.5.4.9": "StreetAddress",
  "2.5.4.17": "PostalCode",
};

function stringValue(value: Der): string {
  return value.tag === 0x1e ? Buffer.from(value.content).swap16().toString("utf16le") : value.content.toString("utf8");
}

/** pkix.Name as Go fills it from an RDNSequence. */
function name(sequence: Der): RegoValue {
  const fields: Record<string, string[] | null> = {};
  for (const f of Object.values(NAME_FIELDS)) fields[f] = null;
  let commonName = "";
  let serialNumber = "";
  const names: RegoValue[] = [];
  for (const set of children(sequence)) {
    for (const attribute of children(set)) {
      const [type, value] = children(attribute) as [Der, Der];
      const id = oid(type.content);
      const text = stringValue(value);
      names.push({ Type: id, Value: text });
      const key = id.join(".");
      if (key === "2.5.4.3") commonName = text;
      else if (key === "2.5.4.5") serialNumber = text;
      else {
        const field = NAME_FIELDS[key];
        if (field) fields[field] = [...(fields[field] ?? []), text];
      }
    }
  }
  return {
    CommonName: commonName,
    Country: fields.Country ?? null,
    ExtraNames: null,
    Locality: fields.Locality ?? null,
    Names: names,
    Organization: fields.Organization ?? null,
    OrganizationalUnit: fields.OrganizationalUnit ?? null,
    PostalCode: fields.PostalCode ?? null,
    Province: fields.Province ?? null,
    SerialNumber: serialNumber,
    StreetAddress: fields.StreetAddress ?? null,
  } as RegoValue;
}

/** UTCTime / GeneralizedTime → Go's RFC 3339 JSON form. */
function time(value: Der): string {
  const text = value.content.toString("latin1");
  const full = value.tag === 0x17 ? `${Number(text.slice(0, 2)) >= 50 ? "19" : "20"}${text}` : text;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(full);
  if (!m) fail("x509: malformed time");
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ""}Z`;
}

const SIGNATURE_ALGORITHMS: Record<string, number> = {
  "1.2.840.113549.1.1.2": 1,
  "1.2.840.113549.1.1.4": 2,
  "1.2.840.113549.1.1.5": 3,
  "1.2.840.113549.1.1.11": 4,
  "1.2.840.113549.1.1.12": 5,
  "1.2.840.113549.1.1.13": 6,
  "1.2.840.10040.4.3": 7,
  "2.16.840.1.101.3.4.3.2": 8,
  "1.2.840.10045.4.1": 9,
  "1.2.840.10045.4.3.2": 10,
  "1.2.840.10045.4.3.3": 11,
  "1.2.840.10045.4.3.4": 12,
  "1.3.101.112": 16,
};
const PSS_BY_HASH: Record<string, number> = {
  "2.16.840.1.101.3.4.2.1": 13,
  "2.16.840.1.101.3.4.2.2": 14,
  "2.16.840.1.101.3.4.2.3": 15,
};
const EXT_KEY_USAGES: Record<string, number> = {
  "2.5.29.37.0": 0,
  "1.3.6.1.5.5.7.3.1": 1,
  "1.3.6.1.5.5.7.3.2": 2,
  "1.3.6.1.5.5.7.3.3": 3,
  "1.3.6.1.5.5.7.3.4": 4,
  "1.3.6.1.5.5.7.3.5": 5,
  "1.3.6.1.5.5.7.3.6": 6,
  "1.3.6.1.5.5.7.3.7": 7,
  "1.3.6.1.5.5.7.3.8": 8,
  "1.3.6.1.5.5.7.3.9": 9,
  "1.3.6.1.4.1.311.10.3.3": 10,
  "2.16.840.1.113730.4.1": 11,
  "1.3.6.1.4.1.311.2.1.22": 12,
  "1.3.6.1.4.1.311.61.1.1": 13,
};

function signatureAlgorithm(algorithm: Der): number {
  const [id, params] = children(algorithm) as [Der, Der | undefined];
  const key = oid(id.content).join(".");
  if (key === "1.2.840.113549.1.1.10" && params) {
    const hash = children(params).find((p) => p.tag === 0xa0);
    const hashId = hash ? oid((children(children(hash)[0] as Der)[0] as Der).content).join(".") : "";
    return PSS_BY_HASH[hashId] ?? 0;
  }
  return SIGNATURE_ALGORITHMS[key] ?? 0;
}

function publicKey(spkiDer: Buffer): [number, RegoValue] {
  const spki = read(spkiDer);
  const [algorithm, bits] = children(spki) as [Der, Der];
  const key = oid((children(algorithm)[0] as Der).content).join(".");
  const keyBytes = bits.content.subarray(1);
  if (key === "1.2.840.113549.1.1.1") {
    const [n, e] = children(read(keyBytes)) as [Der, Der];
    return [1, { E: Number(unsigned(e.content)), N: new RawRego(unsigned(n.content).toString()) }];
  }
  if (key === "1.2.840.10045.2.1") {
    const size = (keyBytes.length - 1) / 2;
    return [
      3,
      {
        Curve: Object.create(null) as RegoValue,
        X: new RawRego(unsigned(keyBytes.subarray(1, 1 + size)).toString()),
        Y: new RawRego(unsigned(keyBytes.subarray(1 + size)).toString()),
      },
    ];
  }
  if (key === "1.3.101.112") return [4, b64(keyBytes)];
  return [0, null];
}

/** Go's url.URL as encoding/json writes it, for the URIs a certificate names. */
function goUrl(text: string): RegoValue {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$/.exec(text);
  const authority = m?.[3] ?? "";
  const at = authority.lastIndexOf("@");
  return {
    ForceQuery: false,
    Fragment: m?.[8] !== undefined ? decodeURIComponent(m[8]) : "",
    Host: at === -1 ? authority : authority.slice(at + 1),
    OmitHost: false,
    Opaque: m && m[2] === undefined ? (m[4] as string) : "",
    Path: m && m[2] !== undefined ? decodeURIComponent(m[4] as string) : "",
    RawFragment: "",
    RawPath: "",
    RawQuery: m?.[6] ?? "",
    Scheme: (m?.[1] ?? "").toLowerCase(),
    User: null,
  };
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join(".");
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

interface Extensions {
  list: RegoValue[];
  fields: Record<string, RegoValue>;
}

function extensions(tbs: Der[]): Extensions {
  const fields: Record<string, RegoValue> = {};
  const list: RegoValue[] = [];
  const wrapper = tbs.find((e) => e.tag === 0xa3);
  if (!wrapper) return { list, fields };
  for (const extension of children(children(wrapper)[0] as Der)) {
    const parts = children(extension);
    const id = oid((parts[0] as Der).content);
    const critical = parts.length === 3 ? (parts[1] as Der).content[0] !== 0 : false;
    const value = (parts[parts.length - 1] as Der).content;
    list.push({ Critical: critical, Id: id, Value: b64(value) });
    const inner = read(value);
    switch (id.join(".")) {
      case "2.5.29.15": {
        let usage = 0;
        const bytes = inner.content.subarray(1);
        for (let i = 0; i < bytes.length * 8 && i < 9; i++)
          if (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) usage |= 1 << i;
        fields.KeyUsage = usage;
        break;
      }
      case "2.5.29.19": {
        const bc = children(inner);
        const ca = bc.find((e) => e.tag === 0x01);
        const len = bc.find((e) => e.tag === 0x02);
        fields.IsCA = ca !== undefined && ca.content[0] !== 0;
        fields.MaxPathLen = len ? Number(signedInteger(len.content)) : -1;
        fields.MaxPathLenZero = fields.MaxPathLen === 0;
        fields.BasicConstraintsValid = true;
        break;
      }
      case "2.5.29.17": {
        const dns: string[] = [];
        const emails: string[] = [];
        const ips: string[] = [];
        const uris: string[] = [];
        for (const san of children(inner)) {
          if (san.tag === 0x82) dns.push(san.content.toString("latin1"));
          else if (san.tag === 0x81) emails.push(san.content.toString("latin1"));
          else if (san.tag === 0x86) uris.push(san.content.toString("latin1"));
          else if (san.tag === 0x87) ips.push(ipText(san.content));
        }
        if (dns.length) fields.DNSNames = dns;
        if (emails.length) fields.EmailAddresses = emails;
        if (ips.length) fields.IPAddresses = ips;
        if (uris.length) {
          fields.URIs = uris.map(goUrl);
          fields.URIStrings = uris;
        }
        break;
      }
      case "2.5.29.14":
        fields.SubjectKeyId = b64(inner.content);
        break;
      case "2.5.29.35": {
        const keyId = children(inner).find((e) => e.tag === 0x80);
        if (keyId) fields.AuthorityKeyId = b64(keyId.content);
        break;
      }
      case "2.5.29.37": {
        const known: number[] = [];
        const unknown: number[][] = [];
        for (const usage of children(inner)) {
          const o = oid(usage.content);
          const n = EXT_KEY_USAGES[o.join(".")];
          if (n === undefined) unknown.push(o);
          else known.push(n);
        }
        fields.ExtKeyUsage = known;
        if (unknown.length) fields.UnknownExtKeyUsage = unknown;
        break;
      }
    }
  }
  return { list, fields };
}

function certificate(der: Buffer): RegoValue {
  const cert = read(der);
  const [tbsElement, algorithm, signature] = children(cert) as [Der, Der, Der];
  const tbs = children(tbsElement);
  let i = 0;
  let version = 1;
  if (tbs[0]?.tag === 0xa0) {
    version = Number(unsigned((children(tbs[0])[0] as Der).content)) + 1;
    i = 1;
  }
  const [serial, , issuer, validity, subject, spki] = tbs.slice(i) as [Der, Der, Der, Der, Der, Der];
  const [notBefore, notAfter] = children(validity) as [Der, Der];
  const [publicKeyAlgorithm, key] = publicKey(spki.raw);
  const ext = extensions(tbs);
  return {
    AuthorityKeyId: null,
    BasicConstraintsValid: false,
    CRLDistributionPoints: null,
    DNSNames: null,
    EmailAddresses: null,
    ExcludedDNSDomains: null,
    ExcludedEmailAddresses: null,
    ExcludedIPRanges: null,
    ExcludedURIDomains: null,
    ExtKeyUsage: null,
    Extensions: ext.list.length ? ext.list : null,
    ExtraExtensions: null,
    IPAddresses: null,
    InhibitAnyPolicy: 0,
    InhibitAnyPolicyZero: false,
    InhibitPolicyMapping: 0,
    InhibitPolicyMappingZero: false,
    IsCA: false,
    Issuer: name(issuer),
    IssuingCertificateURL: null,
    KeyUsage: 0,
    MaxPathLen: 0,
    MaxPathLenZero: false,
    NotAfter: time(notAfter),
    NotBefore: time(notBefore),
    OCSPServer: null,
    PermittedDNSDomains: null,
    PermittedDNSDomainsCritical: false,
    PermittedEmailAddresses: null,
    PermittedIPRanges: null,
    PermittedURIDomains: null,
    Policies: null,
    PolicyIdentifiers: null,
    PolicyMappings: null,
    PublicKey: key,
    PublicKeyAlgorithm: publicKeyAlgorithm,
    Raw: b64(cert.raw),
    RawIssuer: b64(issuer.raw),
    RawSubject: b64(subject.raw),
    RawSubjectPublicKeyInfo: b64(spki.raw),
    RawTBSCertificate: b64(tbsElement.raw),
    RequireExplicitPolicy: 0,
    RequireExplicitPolicyZero: false,
    SerialNumber: new RawRego(signedInteger(serial.content).toString()),
    Signature: b64(signature.content.subarray(1)),
    SignatureAlgorithm: signatureAlgorithm(algorithm),
    Subject: name(subject),
    SubjectKeyId: null,
    URIStrings: null,
    URIs: null,
    UnhandledCriticalExtensions: null,
    UnknownExtKeyUsage: null,
    Version: version,
    ...ext.fields,
  } as RegoValue;
}

/** The DER of each certificate in `text` (PEM, or base64 of DER or PEM), checked by Node's parser. */
function certificatesOf(text: string): Buffer[] {
  let pem = text;
  if (!text.startsWith("-----BEGIN")) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) fail("illegal base64 data");
    const decoded = Buffer.from(text, "base64");
    if (!decoded.subarray(0, 10).equals(Buffer.from("-----BEGIN"))) return split(decoded);
    pem = decoded.toString("latin1");
  }
  const ders: Buffer[] = [];
  for (const m of pem.matchAll(/-----BEGIN ([^-]+)-----\r?\n([\s\S]*?)-----END \1-----/g)) {
    if (m[1] !== "CERTIFICATE") fail(`PEM block type is '${m[1]}', expected CERTIFICATE`);
    ders.push(Buffer.from((m[2] as string).replace(/\s+/g, ""), "base64"));
  }
  return split(Buffer.concat(ders));
}

function split(der: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < der.length; ) {
    const element = read(der, offset);
    new X509Certificate(element.raw); // refuses what is not a certificate
    out.push(element.raw);
    offset = element.end;
  }
  return out;
}

export const x509Builtins: Record<string, Builtin> = {
  "crypto.x509.parse_certificates": ([text]) =>
    certificatesOf(str(text, "crypto.x509.parse_certificates")).map(certificate),
};
