// crypto.x509.parse_keypair(cert, key): Go's tls.X509KeyPair as OPA calls it, marshalled to JSON:
// {Certificate: [base64 DER, ...], PrivateKey, Leaf, OCSPStaple, SignedCertificateTimestamps,
// SupportedSignatureAlgorithms}. Each input is PEM, or standard base64 of PEM or of DER (a DER
// certificate or PKCS #8 key). The certificates are every CERTIFICATE block; the key is the first
// block whose type is "PRIVATE KEY" or ends in " PRIVATE KEY", read as PKCS #1, then PKCS #8
// (RSA, ECDSA, Ed25519 only), then SEC 1, whatever the block says; it must be the private half
// of the first certificate's public key.
import { createPublicKey, type KeyObject } from "node:crypto";
import type { RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";
import { children, type Der, read } from "./der.ts";
import { fail, str } from "./operands.ts";
import { latin1, type PemBlock, pemBlocks, stdBase64 } from "./pem.ts";
import { goPrivateKeyJson, parsePrivateKeyDer } from "./private-keys.ts";
import { certificateJson, parseCertificate } from "./x509.ts";

/** The PEM text of an input that is PEM, or base64 of PEM, or base64 of DER (wrapped as `type`). */
function pemOf(text: string, type: string): string {
  const bytes = latin1(text);
  if (bytes.startsWith("-----BEGIN ")) return bytes;
  const decoded = stdBase64(bytes) ?? fail("illegal base64 data");
  if (decoded.subarray(0, 10).equals(Buffer.from("-----BEGIN"))) return decoded.toString("latin1");
  const body = decoded.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${type}-----\n${body}${body.endsWith("\n") || body === "" ? "" : "\n"}-----END ${type}-----\n`;
}

function tlsPrivateKey(der: Buffer): KeyObject {
  for (const type of ["pkcs1", "pkcs8", "sec1"] as const) {
    let key: KeyObject;
    try {
      key = parsePrivateKeyDer(der, type);
    } catch {
      continue;
    }
    if (key.asymmetricKeyType === "x25519") fail("tls: found unknown private key type in PKCS#8 wrapping");
    return key;
  }
  return fail("tls: failed to parse private key");
}

const publicKeyBits = (spki: Buffer) => ((children(read(spki)) as Der[])[1] as Der).content;

function keyPair(certText: string, keyText: string): RegoValue {
  const certBlocks = pemBlocks(pemOf(certText, "CERTIFICATE"));
  const ders = certBlocks.filter((b) => b.type === "CERTIFICATE").map((b) => b.bytes);
  if (ders.length === 0) fail("tls: failed to find certificate PEM data in certificate input");
  const keyBlock: PemBlock | undefined = pemBlocks(pemOf(keyText, "PRIVATE KEY")).find(
    (b) => b.type === "PRIVATE KEY" || b.type.endsWith(" PRIVATE KEY"),
  );
  if (!keyBlock) fail('tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input');
  const leaf = parseCertificate(ders[0] as Buffer);
  const key = tlsPrivateKey(keyBlock.bytes);
  const algorithm = leaf.json.PublicKeyAlgorithm as number;
  const expected = { 1: "rsa", 3: "ec", 4: "ed25519" }[algorithm];
  if (!expected) fail("tls: unknown public key algorithm");
  if (key.asymmetricKeyType !== expected) fail("tls: private key type does not match public key type");
  const derived = createPublicKey(key).export({ format: "der", type: "spki" });
  if (!publicKeyBits(derived).equals(publicKeyBits(leaf.spki))) fail("tls: private key does not match public key");
  return {
    Certificate: ders.map((d) => d.toString("base64")),
    Leaf: certificateJson(leaf, false),
    OCSPStaple: null,
    PrivateKey: goPrivateKeyJson(key),
    SignedCertificateTimestamps: null,
    SupportedSignatureAlgorithms: null,
  };
}

export const x509KeyPairBuiltins: Record<string, Builtin> = {
  "crypto.x509.parse_keypair": ([cert, key]) =>
    keyPair(str(cert, "crypto.x509.parse_keypair"), str(key, "crypto.x509.parse_keypair")),
};
