// Cases of the crypto builtins over keys, certificates and tokens made at test time (openssl and
// node:crypto; nothing committed), compared with the pinned OPA CLI by builtins-parity.test.ts:
// certificate parsing, chain verification (valid, wrong order, pathlen, name constraints, non-CA
// intermediates, SHA-1, unknown critical extensions, explicit policy, key usages, DNS names,
// times), private keys of every kind Go reads and some it refuses, certificate requests, key
// pairs, and JWS signing and verification. Randomised signatures (ES*, PS*) are compared through
// OPA's own verification of them.
import { execFileSync } from "node:child_process";
import { sign as cryptoSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Arg, BuiltinCase } from "./builtin-cases.ts";
import { makeTestPki } from "./helpers/test-pki.ts";
import { makeChainPki } from "./helpers/x509-chain-pki.ts";

const c = (name: string, ...args: Arg[]): BuiltinCase => ({ name, args });
const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
const b64 = (text: string) => Buffer.from(text).toString("base64");

/** Tokens signed at test time with fresh Ed25519 and RSA keys. */
function tokenCases(): BuiltinCase[] {
  const sign = (alg: string, key: KeyObject, payload: object, algorithm: string | null) => {
    const input = `${Buffer.from(JSON.stringify({ alg, typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
    return `${input}.${cryptoSign(algorithm, Buffer.from(input), key).toString("base64url")}`;
  };
  const ed = generateKeyPairSync("ed25519");
  const other = generateKeyPairSync("ed25519");
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = (k: KeyObject) => k.export({ type: "spki", format: "pem" }).toString();
  const edToken = sign("EdDSA", ed.privateKey, { sub: "alice" }, null);
  const rsToken = sign("RS256", rsa.privateKey, { sub: "bob", n: 1 }, "sha256");
  const jwk = JSON.stringify({ keys: [ed.publicKey.export({ format: "jwk" })] });
  return [
    c("io.jwt.verify_eddsa", edToken, pem(ed.publicKey)),
    c("io.jwt.verify_eddsa", edToken, jwk),
    c("io.jwt.verify_eddsa", edToken, pem(other.publicKey)),
    c("io.jwt.verify_eddsa", `${edToken}x`, pem(ed.publicKey)),
    c("io.jwt.verify_eddsa", rsToken, pem(ed.publicKey)),
    c("io.jwt.verify_rs256", rsToken, pem(rsa.publicKey)),
    c("io.jwt.verify_rs256", rsToken, pem(ed.publicKey)),
    c("io.jwt.decode", rsToken),
    c("io.jwt.decode", edToken),
  ];
}

/** JWS signing with JWKs of every type, and JWKs jwx refuses. */
function signingCases(): BuiltinCase[] {
  const pair = (type: "rsa" | "ec" | "ed25519", curve?: string) =>
    type === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : type === "ec"
        ? generateKeyPairSync("ec", { namedCurve: curve as string })
        : generateKeyPairSync("ed25519");
  const rsa = pair("rsa");
  const ec = pair("ec", "P-256");
  const ec384 = pair("ec", "P-384");
  const ed = pair("ed25519");
  const jwk = (k: KeyObject) => k.export({ format: "jwk" }) as Record<string, unknown>;
  const pem = (k: KeyObject) => JSON.stringify(k.export({ type: "spki", format: "pem" }).toString());
  const oct = { kty: "oct", k: Buffer.from("secret").toString("base64url") };
  const payload = { sub: "alice", n: 5, html: "<a&b>", list: [1, 2] };
  const J = JSON.stringify;
  const verified = (verify: string, key: KeyObject) => (call: string) => `${verify}(${call}, ${pem(key)})`;
  return [
    c("io.jwt.encode_sign", { alg: "HS256", typ: "JWT" }, payload, oct),
    c("io.jwt.encode_sign", { alg: "HS512", kid: "x" }, payload, { keys: [oct] }),
    c("io.jwt.encode_sign", { alg: "RS256" }, payload, jwk(rsa.privateKey)),
    c("io.jwt.encode_sign", { alg: "EdDSA" }, payload, jwk(ed.privateKey)),
    c("io.jwt.encode_sign", { alg: "HS256" }, payload, jwk(rsa.privateKey)),
    c("io.jwt.encode_sign", { alg: "RS256" }, payload, oct),
    c("io.jwt.encode_sign", { alg: "RS256" }, payload, jwk(rsa.publicKey)),
    c("io.jwt.encode_sign", { alg: "EdDSA" }, payload, jwk(ec.privateKey)),
    c("io.jwt.encode_sign", { alg: "none" }, payload, oct),
    c("io.jwt.encode_sign", { alg: 5 }, payload, oct),
    c("io.jwt.encode_sign", {}, payload, oct),
    c("io.jwt.encode_sign", { alg: "HS256" }, payload, { keys: [] }),
    c("io.jwt.encode_sign", { alg: "HS256" }, payload, { kty: "oct" }),
    c("io.jwt.encode_sign", { alg: "HS256" }, payload, { kty: "oct", k: "" }),
    c("io.jwt.encode_sign", { alg: "HS256" }, payload, { kty: "oct", k: "!!" }),
    c("io.jwt.encode_sign", { alg: "HS256" }, "just a string", oct),
    c("io.jwt.encode_sign", { alg: "HS256" }, payload, { kty: "weird", k: "c2VjcmV0" }),
    c("io.jwt.encode_sign_raw", J({ alg: "HS256", typ: "JWT" }), J(payload), J(oct)),
    c("io.jwt.encode_sign_raw", '{"typ":"JWT",  "alg":"HS256"}', '{"iss": "joe",\r\n "exp": 1300819380}', J(oct)),
    c("io.jwt.encode_sign_raw", J({ alg: "HS256", typ: "text" }), "not json", J(oct)),
    c("io.jwt.encode_sign_raw", J({ alg: "HS256" }), "not json", J(oct)),
    c("io.jwt.encode_sign_raw", J({ alg: "HS256", typ: 5 }), "not json", J(oct)),
    c("io.jwt.encode_sign_raw", "not json", "{}", J(oct)),
    c("io.jwt.encode_sign_raw", J({ alg: "HS256" }), "{}", "not a jwk"),
    c("io.jwt.encode_sign_raw", J({ alg: "RS256" }), "{}", J({ keys: [oct, jwk(rsa.privateKey)] })),
    c("io.jwt.encode_sign_raw", J({ alg: "HS256" }), "{}", J({ ...oct, alg: "RS256", use: "enc" })),
    c("io.jwt.encode_sign_raw", J({ alg: "HS256" }), "{}", J({ ...oct, key_ops: "sign" })),
    c("io.jwt.encode_sign_raw", J({ alg: "HS256" }), "{}", J({ ...oct, kid: 5 })),
    c("io.jwt.encode_sign_raw", J({ alg: "HS256" }), "{}", J({ ...oct, alg: "XX1" })),
    {
      ...c("io.jwt.encode_sign", { alg: "ES256" }, payload, jwk(ec.privateKey)),
      around: verified("io.jwt.verify_es256", ec.publicKey),
    },
    {
      ...c("io.jwt.encode_sign_raw", J({ alg: "ES384" }), "{}", J(jwk(ec384.privateKey))),
      around: verified("io.jwt.verify_es384", ec384.publicKey),
    },
    {
      ...c("io.jwt.encode_sign", { alg: "PS256" }, payload, jwk(rsa.privateKey)),
      around: verified("io.jwt.verify_ps256", rsa.publicKey),
    },
  ];
}

/** Certificates made at test time (openssl): a P-256 CA, a leaf with IP/DNS SANs and serverAuth,
 *  one with a SPIFFE URI SAN and clientAuth, and an RSA one with every name field. */
function certificateCases(): BuiltinCase[] {
  const pki = makeTestPki();
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "rsa.key",
      "-out",
      "rsa.pem",
      "-days",
      "2",
      "-subj",
      "/C=DE/ST=Berlin/L=Berlin/O=Example/OU=Mesh/CN=rsa.example/serialNumber=42/postalCode=10115",
      "-addext",
      "subjectAltName=DNS:a.example,DNS:b.example,email:ops@example.org,IP:2001:db8::1,URI:https://example.org/a?b=c#d",
      "-addext",
      "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
      "-addext",
      "extendedKeyUsage=serverAuth,clientAuth,1.2.3.4",
      "-addext",
      "basicConstraints=critical,CA:TRUE,pathlen:0",
    ],
    { cwd: pki.dir, stdio: "pipe" },
  );
  const pem = (file: string) => readFileSync(file, "utf8");
  const [ca, server, client, rsa] = [pki.caFile, pki.serverCertFile, pki.clientCertFile, join(pki.dir, "rsa.pem")].map(
    pem,
  ) as [string, string, string, string];
  return [
    c("crypto.x509.parse_certificates", ca),
    c("crypto.x509.parse_certificates", server),
    c("crypto.x509.parse_certificates", client),
    c("crypto.x509.parse_certificates", rsa),
    c("crypto.x509.parse_certificates", ca + client),
    c("crypto.x509.parse_certificates", der(server).toString("base64")),
    c("crypto.x509.parse_certificates", Buffer.concat([der(ca), der(rsa)]).toString("base64")),
    c("crypto.x509.parse_certificates", b64(client)),
    c("crypto.x509.parse_certificates", pem(pki.clientKeyFile)),
    c("crypto.x509.parse_certificates", "not a certificate"),
    c("crypto.x509.parse_certificates", ""),
  ];
}

/** Chain verification, certificate requests and key pairs over makeChainPki's hierarchy. */
function chainCases(): BuiltinCase[] {
  const { pem, key, csr } = makeChainPki();
  const chain = (...names: string[]) => names.map((n) => pem[n]).join("");
  const v = "crypto.x509.parse_and_verify_certificates";
  const o = "crypto.x509.parse_and_verify_certificates_with_options";
  const good = chain("root", "int", "leaf");
  const kp = "crypto.x509.parse_keypair";
  const cr = "crypto.x509.parse_certificate_request";
  return [
    c("crypto.x509.parse_certificates", pem.nc as string),
    c("crypto.x509.parse_certificates", pem.explicit as string),
    c("crypto.x509.parse_certificates", pem.critical as string),
    c(v, good),
    c(v, chain("root", "leaf")),
    c(v, chain("root", "int", "client")),
    c(v, chain("root", "int", "anyusage")),
    c(v, chain("root", "nc", "ncok")),
    c(v, chain("root", "nc", "ncdns")),
    c(v, chain("root", "nc", "ncip")),
    c(v, chain("root", "noca", "nocaleaf")),
    c(v, chain("root", "int", "int2", "deep")),
    c(v, chain("root", "int", "sha1")),
    c(v, chain("root", "int", "critical")),
    c(v, chain("root", "explicit", "nopolicy")),
    c(v, chain("root", "explicit", "withpolicy")),
    c(v, chain("rsaroot", "rsaleaf")),
    c(v, chain("rsaroot", "pssleaf")),
    c(v, chain("root", "root")),
    c(v, chain("root")),
    c(v, chain("leaf", "int", "root")),
    c(v, chain("root", "int", "int", "leaf")),
    c(v, chain("root", "nc", "int", "leaf")),
    c(v, chain("root", "impostor", "leaf")),
    c(v, chain("root", "impostor", "int", "leaf")),
    c(v, "junk"),
    c(o, good, { DNSName: "www.example.com" }),
    c(o, good, { DNSName: "WWW.Example.COM." }),
    c(o, good, { DNSName: "other.example.com" }),
    c(o, good, { DNSName: "10.1.2.3" }),
    c(o, good, { DNSName: '"www.example.com"' }),
    c(o, chain("root", "int", "client"), { KeyUsages: ["KeyUsageClientAuth"] }),
    c(o, chain("root", "int", "client"), { KeyUsages: { $set: ["KeyUsageClientAuth", "KeyUsageServerAuth"] } }),
    c(o, chain("root", "int", "client"), { KeyUsages: ["KeyUsageAny"] }),
    c(o, chain("root", "int", "client"), { KeyUsages: ["KeyUsageBogus"] }),
    c(o, chain("root", "int", "client"), { KeyUsages: "KeyUsageAny" }),
    c(o, good, { CurrentTime: { $number: "1000000000000000000" } }),
    c(o, good, { CurrentTime: 1.5 }),
    c(o, good, { MaxConstraintComparisons: 5 }),
    c(o, good, { Other: 1 }),
    c(o, good, {}),
    c(o, chain("root"), {}),
    c(o, good, "options"),
    c(cr, csr.ec as string),
    c(cr, csr.rsa as string),
    c(cr, csr.ed as string),
    c(cr, b64(csr.ec as string)),
    c(cr, der(csr.rsa as string).toString("base64")),
    c(cr, pem.leaf as string),
    c(cr, "junk"),
    c(kp, pem.leaf as string, key.leaf as string),
    c(kp, pem.rsaleaf as string, key.rsaleaf as string),
    c(kp, chain("leaf", "int"), key.leaf as string),
    c(kp, pem.leaf as string, key.int as string),
    c(kp, pem.leaf as string, key.rsaleaf as string),
    c(kp, key.leaf as string, pem.leaf as string),
    c(kp, b64(pem.leaf as string), b64(key.leaf as string)),
    c(kp, der(pem.rsaleaf as string).toString("base64"), der(key.rsaleaf as string).toString("base64")),
    c(kp, "junk", key.leaf as string),
  ];
}

/** Private keys of every type and encoding Go reads, and some it does not. */
function privateKeyCases(): BuiltinCase[] {
  const pemOf = (k: KeyObject, type: "pkcs1" | "pkcs8" | "sec1") => k.export({ type, format: "pem" }).toString();
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const p224 = generateKeyPairSync("ec", { namedCurve: "secp224r1" }).privateKey;
  const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey;
  const ed = generateKeyPairSync("ed25519").privateKey;
  const x = generateKeyPairSync("x25519").privateKey;
  const ed448 = generateKeyPairSync("ed448").privateKey;
  const inputs = [
    pemOf(rsa, "pkcs1"),
    pemOf(rsa, "pkcs8"),
    pemOf(ec, "sec1"),
    pemOf(ec, "pkcs8"),
    pemOf(p224, "sec1"),
    pemOf(k1, "sec1"),
    pemOf(ed, "pkcs8"),
    pemOf(x, "pkcs8"),
    pemOf(ed448, "pkcs8"),
    pemOf(rsa, "pkcs1") + pemOf(ec, "sec1") + pemOf(ed, "pkcs8"),
    `garbage\n${pemOf(ec, "pkcs8")}junk\n`,
    b64(pemOf(rsa, "pkcs8")),
    pemOf(rsa, "pkcs1").replace("MII", "XXX"),
    pemOf(ec, "sec1").replace(/EC PRIVATE KEY/g, "PRIVATE KEY"),
    pemOf(rsa, "pkcs1").replace(/\n/g, "\r\n"),
    "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n",
    "",
    "not pem",
  ];
  return [
    ...inputs.map((i) => c("crypto.parse_private_keys", i)),
    ...inputs.map((i) => c("crypto.x509.parse_rsa_private_key", i)),
    c("crypto.parse_private_keys", 5),
  ];
}

export function cryptoCases(): BuiltinCase[] {
  return [...certificateCases(), ...chainCases(), ...privateKeyCases(), ...tokenCases(), ...signingCases()];
}
