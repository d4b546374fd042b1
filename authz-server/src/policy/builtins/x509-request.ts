// crypto.x509.parse_certificate_request: a PKCS #10 request as Go's x509.CertificateRequest
// marshals to JSON. Input as OPA reads it: PEM starting with "-----BEGIN CERTIFICATE REQUEST-----",
// otherwise standard base64 of PEM or DER; a PEM block of another type is an error. Attributes
// are Go's deprecated view (each attribute that reads as SET OF SEQUENCE OF {type, value}; the
// extension request's values are each extension's OID and its next element, so a critical
// extension shows `true`); Extensions come from the extension request (a repeated extension is
// an error) and the SAN fields from its subjectAltName. The signature is not checked, as in Go.
import type { RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { children, type Der, oid, read, signedInteger } from "./der.ts";
import { fail, str } from "./operands.ts";
import { decodePem, latin1, stdBase64 } from "./pem.ts";
import { b64, name, publicKey, signatureAlgorithm, subjectAltNames } from "./x509-fields.ts";

const EXTENSION_REQUEST = "1.2.840.113549.1.9.14";
const STRING_TAGS = new Set([0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x1e]);

/** An ASN.1 value as Go's asn1.Unmarshal fills an `any`; undefined where Go fails. */
function asn1Any(value: Der): RegoValue | undefined {
  switch (value.tag) {
    case 0x01:
      return value.content[0] !== 0;
    case 0x02:
      return Number(signedInteger(value.content));
    case 0x03:
      return {
        BitLength: (value.content.length - 1) * 8 - (value.content[0] ?? 0),
        Bytes: b64(value.content.subarray(1)),
      };
    case 0x04:
      return b64(value.content);
    case 0x06:
      return oid(value.content);
    default:
      if (!STRING_TAGS.has(value.tag)) return undefined;
      return value.tag === 0x1e
        ? Buffer.from(value.content).swap16().toString("utf16le")
        : value.content.toString("utf8");
  }
}

/** Go's parseRawAttributes: the attributes that read as AttributeTypeAndValueSET. */
function attributes(raw: Der[]): RegoValue {
  const out: RegoValue[] = [];
  for (const attribute of raw) {
    const [type, set] = children(attribute);
    if (type?.tag !== 0x06 || set?.tag !== 0x31) continue;
    const values: RegoValue[] = [];
    let readable = true;
    for (const sequence of children(set)) {
      if (sequence.tag !== 0x30) {
        readable = false;
        break;
      }
      const pairs: RegoValue[] = [];
      for (const pair of children(sequence)) {
        const [t, v] = children(pair);
        const converted = v ? asn1Any(v) : undefined;
        if (pair.tag !== 0x30 || t?.tag !== 0x06 || converted === undefined) {
          readable = false;
          break;
        }
        pairs.push({ Type: oid(t.content), Value: converted });
      }
      if (!readable) break;
      values.push(pairs);
    }
    if (readable) out.push({ Type: oid(type.content), Value: values });
  }
  return out.length ? out : null;
}

/** Go's parseCSRExtensions over the extension request attributes. */
function requestedExtensions(raw: Der[]): { list: RegoValue[]; san?: Buffer } {
  const list: RegoValue[] = [];
  const seen = new Set<string>();
  let san: Buffer | undefined;
  for (const attribute of raw) {
    const [type, set] = children(attribute);
    if (!type || oid(type.content).join(".") !== EXTENSION_REQUEST || !set) continue;
    const first = children(set)[0];
    if (!first) continue;
    for (const extension of children(first)) {
      const parts = children(extension);
      const id = oid((parts[0] as Der).content);
      const key = id.join(".");
      if (seen.has(key)) fail("x509: certificate request contains duplicate requested extensions");
      seen.add(key);
      const critical = parts.length === 3 ? (parts[1] as Der).content[0] !== 0 : false;
      const value = (parts[parts.length - 1] as Der).content;
      list.push({ Critical: critical, Id: id, Value: b64(value) });
      if (key === "2.5.29.17") san = value;
    }
  }
  return san ? { list, san } : { list };
}

function requestJson(der: Buffer): RegoValue {
  const request = read(der);
  if (request.end !== der.length) fail("x509: trailing data");
  const [info, algorithm, signature] = children(request) as [Der, Der, Der];
  const [version, subject, spki, attributeSet] = children(info) as [Der, Der, Der, Der | undefined];
  const raw = attributeSet?.tag === 0xa0 ? children(attributeSet) : [];
  const [publicKeyAlgorithm, key] = publicKey(spki.raw);
  const extensions = requestedExtensions(raw);
  const { URIStrings: _, ...names } = extensions.san ? subjectAltNames(extensions.san) : {};
  return {
    Attributes: attributes(raw),
    DNSNames: null,
    EmailAddresses: null,
    Extensions: extensions.list.length ? extensions.list : null,
    ExtraExtensions: null,
    IPAddresses: null,
    PublicKey: key,
    PublicKeyAlgorithm: publicKeyAlgorithm,
    Raw: b64(request.raw),
    RawSubject: b64(subject.raw),
    RawSubjectPublicKeyInfo: b64(spki.raw),
    RawTBSCertificateRequest: b64(info.raw),
    Signature: b64(signature.content.subarray(1)),
    SignatureAlgorithm: signatureAlgorithm(algorithm),
    Subject: name(subject),
    URIs: null,
    Version: Number(signedInteger(version.content)),
    ...names,
  };
}

function parseRequest(text: string): RegoValue {
  let bytes: Buffer = Buffer.from(latin1(text), "latin1");
  if (!text.startsWith("-----BEGIN CERTIFICATE REQUEST-----"))
    bytes = stdBase64(latin1(text)) ?? fail("illegal base64 data");
  const block = decodePem(bytes.toString("latin1"))?.block;
  if (block && block.type !== "CERTIFICATE REQUEST") fail("invalid PEM-encoded certificate signing request");
  return requestJson(block ? block.bytes : bytes);
}

export const x509RequestBuiltins: Record<string, Builtin> = {
  "crypto.x509.parse_certificate_request": ([text]) => parseRequest(str(text, "crypto.x509.parse_certificate_request")),
};
