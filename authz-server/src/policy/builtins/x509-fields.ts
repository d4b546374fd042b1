// The parts of an X.509 structure as Go's crypto/x509 decodes them and encoding/json writes them,
// shared by the certificate and certificate-request builtins: distinguished names (pkix.Name with
// its Names list and the well-known attributes), times (RFC 3339), Go's enum numbers for signature
// and public-key algorithms and extended key usages, public keys (RSA {N, E}, ECDSA {Curve: {},
// X, Y}, Ed25519 base64), and subject alternative names (DNS, email, IP, URI as url.URL).
import { RawRego, type RegoValue } from "../rego-value.ts";
import { children, type Der, oid, read, unsigned } from "./der.ts";
import { goUrlJson, parseGoUrl } from "./go-url.ts";
import { fail } from "./operands.ts";

export const b64 = (bytes: Buffer) => bytes.toString("base64");

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
export function name(sequence: Der): RegoValue {
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
export function time(value: Der): string {
  const text = value.content.toString("latin1");
  const full = value.tag === 0x17 ? `${Number(text.slice(0, 2)) >= 50 ? "19" : "20"}${text}` : text;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(full);
  if (!m) fail("x509: malformed time");
  const fraction = (m[7] ?? "").replace(/\.?0+$/, "");
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${fraction}Z`;
}

/** An RFC 3339 time as time() writes it, in nanoseconds since the epoch. */
export function timeNs(rfc3339: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(rfc3339);
  if (!m) return fail("x509: malformed time");
  const seconds = BigInt(Date.parse(`${m[1]}Z`) / 1000);
  return seconds * 1_000_000_000n + BigInt((m[2] ?? "").padEnd(9, "0").slice(0, 9));
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
export const EXT_KEY_USAGES: Record<string, number> = {
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

export function signatureAlgorithm(algorithm: Der): number {
  const [id, params] = children(algorithm) as [Der, Der | undefined];
  const key = oid(id.content).join(".");
  if (key === "1.2.840.113549.1.1.10" && params) {
    const hash = children(params).find((p) => p.tag === 0xa0);
    const hashId = hash ? oid((children(children(hash)[0] as Der)[0] as Der).content).join(".") : "";
    return PSS_BY_HASH[hashId] ?? 0;
  }
  return SIGNATURE_ALGORITHMS[key] ?? 0;
}

/** The named curves Go's x509 reads: P-224, P-256, P-384, P-521. */
const GO_CURVES = new Set(["1.3.132.0.33", "1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.132.0.35"]);

export function publicKey(spkiDer: Buffer): [number, RegoValue] {
  const spki = read(spkiDer);
  const [algorithm, bits] = children(spki) as [Der, Der];
  const key = oid((children(algorithm)[0] as Der).content).join(".");
  const keyBytes = bits.content.subarray(1);
  if (key === "1.2.840.113549.1.1.1") {
    const [n, e] = children(read(keyBytes)) as [Der, Der];
    return [1, { E: Number(unsigned(e.content)), N: new RawRego(unsigned(n.content).toString()) }];
  }
  if (key === "1.2.840.10045.2.1") {
    const params = children(algorithm)[1];
    if (params?.tag !== 0x06 || !GO_CURVES.has(oid(params.content).join("."))) {
      fail("x509: unsupported elliptic curve");
    }
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

/** Go's net.IP.String: dotted IPv4 (also for an IPv4-mapped IPv6 address), else RFC 5952 with the
 *  first longest run of two or more zero groups as "::"; another length is "?" plus hex. */
export function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join(".");
  if (bytes.length !== 16) return `?${bytes.toString("hex")}`;
  if (bytes.subarray(0, 12).equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]))) {
    return [...bytes.subarray(12)].join(".");
  }
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** A subjectAltName extension's value as Go fills DNSNames, EmailAddresses, IPAddresses and URIs
 *  (with OPA's URIStrings: each URI as Go's url.URL.String gives it back). */
export function subjectAltNames(value: Buffer): Record<string, RegoValue> {
  const fields: Record<string, RegoValue> = {};
  const dns: string[] = [];
  const emails: string[] = [];
  const ips: string[] = [];
  const uris: string[] = [];
  for (const san of children(read(value))) {
    if (san.tag === 0x82) dns.push(san.content.toString("latin1"));
    else if (san.tag === 0x81) emails.push(san.content.toString("latin1"));
    else if (san.tag === 0x86) uris.push(san.content.toString("latin1"));
    else if (san.tag === 0x87) ips.push(ipText(san.content));
  }
  if (dns.length) fields.DNSNames = dns;
  if (emails.length) fields.EmailAddresses = emails;
  if (ips.length) fields.IPAddresses = ips;
  if (uris.length) {
    const parsed = uris.map((u) => {
      try {
        return parseGoUrl(u);
      } catch {
        return fail(`x509: cannot parse URI ${JSON.stringify(u)}`);
      }
    });
    fields.URIs = parsed.map(goUrlJson) as RegoValue[];
    fields.URIStrings = parsed.map((u) => u.text);
  }
  return fields;
}
