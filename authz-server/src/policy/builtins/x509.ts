// crypto.x509.parse_certificates with OPA's output: each certificate as Go's crypto/x509
// Certificate marshalled to JSON (field names, base64 bytes, OIDs as integer arrays, big integers
// as numbers, RFC 3339 times, Go's enum numbers for algorithms and usages), plus OPA's URIStrings.
// Input: PEM (CERTIFICATE blocks only), or base64 of DER or of PEM. The DER is read here (der.ts;
// the fields in x509-fields.ts, the extensions in x509-extensions.ts); Node's X509Certificate only
// confirms that each element is a certificate.
import { X509Certificate } from "node:crypto";
import { RawRego, type RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { children, type Der, read, signedInteger, unsigned } from "./der.ts";
import { fail, str } from "./operands.ts";
import { latin1, pemBlocks, stdBase64 } from "./pem.ts";
import { decodeExtensions } from "./x509-extensions.ts";
import { b64, name, publicKey, signatureAlgorithm, time, timeNs } from "./x509-fields.ts";
import type { NameConstraints, SubjectNames } from "./x509-names.ts";

/** A parsed certificate: its JSON (Go's x509.Certificate with OPA's URIStrings) and what chain
 *  verification needs beyond it. */
export interface Certificate {
  json: Record<string, RegoValue>;
  der: Buffer;
  tbs: Buffer;
  signature: Buffer;
  rawSubject: Buffer;
  rawIssuer: Buffer;
  spki: Buffer;
  notBeforeNs: bigint;
  notAfterNs: bigint;
  /** The subjectAltName extension's value, if any. */
  san?: Buffer;
  constraints?: NameConstraints;
  names?: SubjectNames;
}

export function parseCertificate(der: Buffer): Certificate {
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
  const ext = decodeExtensions(
    children(tbs.find((e) => e.tag === 0xa3) ?? { tag: 0, raw: der, content: Buffer.alloc(0) })[0],
  );
  const json: Record<string, RegoValue> = {
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
  };
  const san = ext.list.find((e) => (e as { Id: number[] }).Id.join(".") === "2.5.29.17") as
    | { Value: string }
    | undefined;
  return {
    json,
    der: cert.raw,
    tbs: tbsElement.raw,
    signature: signature.content.subarray(1),
    rawSubject: subject.raw,
    rawIssuer: issuer.raw,
    spki: spki.raw,
    notBeforeNs: timeNs(json.NotBefore as string),
    notAfterNs: timeNs(json.NotAfter as string),
    ...(san ? { san: Buffer.from(san.Value, "base64") } : {}),
    ...(ext.constraints ? { constraints: ext.constraints } : {}),
    ...(ext.names ? { names: ext.names } : {}),
  };
}

/** A certificate's JSON as Go marshals x509.Certificate; `uriStrings` adds OPA's URIStrings
 *  (parse_certificates and parse_and_verify_certificates have it, the others not). */
export function certificateJson(cert: Certificate, uriStrings: boolean): RegoValue {
  if (uriStrings) return cert.json;
  const { URIStrings: _, ...json } = cert.json;
  return json;
}

/** Go's x509.ParseCertificates: concatenated DER certificates, each checked by Node's parser. */
export function splitCertificates(der: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < der.length; ) {
    const element = read(der, offset);
    new X509Certificate(element.raw); // refuses what is not a certificate
    out.push(element.raw);
    offset = element.end;
  }
  return out;
}

function certificatesOfPem(pem: string): Buffer[] {
  const ders: Buffer[] = [];
  for (const block of pemBlocks(pem)) {
    if (block.type !== "CERTIFICATE") fail(`PEM block type is '${block.type}', expected CERTIFICATE`);
    ders.push(block.bytes);
  }
  return splitCertificates(Buffer.concat(ders));
}

/** The DER of each certificate in `text` as OPA reads it: PEM (CERTIFICATE blocks only, any other
 *  block type is an error), or standard base64 of PEM or of concatenated DER certificates. */
export function certificatesOf(text: string): Buffer[] {
  const bytes = latin1(text);
  if (bytes.startsWith("-----BEGIN")) return certificatesOfPem(bytes);
  const decoded = stdBase64(bytes) ?? fail("illegal base64 data");
  if (decoded.subarray(0, 10).equals(Buffer.from("-----BEGIN"))) return certificatesOfPem(decoded.toString("latin1"));
  return splitCertificates(decoded);
}

export const x509Builtins: Record<string, Builtin> = {
  "crypto.x509.parse_certificates": ([text]) =>
    certificatesOf(str(text, "crypto.x509.parse_certificates")).map((der) => parseCertificate(der).json),
};
