// Certificate hierarchies for the chain-verification builtins, made with the openssl CLI at test
// time (nothing committed): a root, intermediates that are valid, limited by pathlen or name
// constraints, or not CAs at all, and leaves for each, plus RSA (PKCS #1 v1.5 and PSS), SHA-1,
// unknown-critical-extension and explicit-policy cases, and an impostor intermediate (another key
// under the same name as a real one). Every certificate is valid for two days.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "./scratch.ts";

export interface ChainPki {
  dir: string;
  /** PEM of each certificate by name. */
  pem: Record<string, string>;
  /** PEM of each private key by name. */
  key: Record<string, string>;
  /** PEM of a certificate signing request per key type. */
  csr: Record<string, string>;
}

interface Issue {
  issuer?: string;
  ext: string;
  rsa?: boolean;
  /** Extra `openssl x509` arguments (digest, signature options). */
  sign?: string[];
  /** The common name, when not the certificate's own name (an impostor of another CA). */
  cn?: string;
}

const CA = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
const INTERMEDIATE = `${CA}authorityKeyIdentifier=keyid\n`;
const SERVER =
  "subjectAltName=DNS:www.example.com,IP:10.1.2.3\nextendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n";

const PLAN: [string, Issue][] = [
  ["root", { ext: CA }],
  ["int", { issuer: "root", ext: `${INTERMEDIATE}basicConstraints=critical,CA:TRUE,pathlen:0\n` }],
  ["int2", { issuer: "int", ext: INTERMEDIATE }],
  [
    "nc",
    {
      issuer: "root",
      ext: `${INTERMEDIATE}nameConstraints=critical,permitted;DNS:.example.com,excluded;IP:10.0.0.0/255.0.0.0\n`,
    },
  ],
  ["impostor", { issuer: "root", ext: INTERMEDIATE, cn: "int" }],
  ["noca", { issuer: "root", ext: "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign\n" }],
  [
    "explicit",
    { issuer: "root", ext: `${INTERMEDIATE}policyConstraints=requireExplicitPolicy:0\ncertificatePolicies=1.2.3.4\n` },
  ],
  ["leaf", { issuer: "int", ext: SERVER }],
  ["client", { issuer: "int", ext: "subjectAltName=URI:spiffe://td/ns/a/sa/b\nextendedKeyUsage=clientAuth\n" }],
  ["anyusage", { issuer: "int", ext: "subjectAltName=DNS:any.example.com\nextendedKeyUsage=anyExtendedKeyUsage\n" }],
  ["ncok", { issuer: "nc", ext: "subjectAltName=DNS:a.example.com,IP:192.168.0.1\n" }],
  ["ncdns", { issuer: "nc", ext: "subjectAltName=DNS:a.other.org\n" }],
  ["ncip", { issuer: "nc", ext: "subjectAltName=DNS:b.example.com,IP:10.9.9.9\n" }],
  ["nocaleaf", { issuer: "noca", ext: SERVER }],
  ["deep", { issuer: "int2", ext: SERVER }],
  ["sha1", { issuer: "int", ext: SERVER, sign: ["-sha1"] }],
  ["critical", { issuer: "int", ext: `${SERVER}1.2.3.4.5=critical,ASN1:UTF8String:x\n` }],
  ["nopolicy", { issuer: "explicit", ext: SERVER }],
  ["withpolicy", { issuer: "explicit", ext: `${SERVER}certificatePolicies=1.2.3.4\n` }],
  ["rsaroot", { ext: CA, rsa: true }],
  ["rsaleaf", { issuer: "rsaroot", ext: SERVER, rsa: true }],
  [
    "pssleaf",
    { issuer: "rsaroot", ext: SERVER, sign: ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] },
  ],
];

export function makeChainPki(): ChainPki {
  const dir = scratchDir("mw-chains");
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  let serial = 4096;
  for (const [name, issue] of PLAN) {
    const keyArgs = issue.rsa ? ["-newkey", "rsa:2048"] : ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
    run([
      "req",
      ...keyArgs,
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/O=Meshward Test/CN=${issue.cn ?? name}`,
    ]);
    writeFileSync(join(dir, `${name}.ext`), issue.ext);
    const signer = issue.issuer
      ? ["-CA", `${issue.issuer}.pem`, "-CAkey", `${issue.issuer}.key`]
      : ["-signkey", `${name}.key`];
    run(
      ["x509", "-req", "-in", `${name}.csr`, ...signer, "-set_serial", String(serial++), "-days", "2"].concat(
        ["-extfile", `${name}.ext`, "-out", `${name}.pem`],
        issue.sign ?? [],
      ),
    );
  }
  run(["req", "-new", "-key", "rsaleaf.key", "-subj", "/CN=rsa request", "-out", "rsa.csr"]);
  writeFileSync(
    join(dir, "san.cnf"),
    "[req]\ndistinguished_name=dn\n[dn]\n[ext]\nsubjectAltName=DNS:a.example,IP:10.0.0.1,URI:spiffe://td/x,email:a@b.c\nkeyUsage=critical,digitalSignature\n",
  );
  run([
    "req",
    "-new",
    "-key",
    "leaf.key",
    "-subj",
    "/C=DE/O=Example/CN=csr.example",
    "-config",
    "san.cnf",
    "-reqexts",
    "ext",
    "-out",
    "ec.csr",
  ]);
  run(["genpkey", "-algorithm", "ed25519", "-out", "ed.key"]);
  run(["req", "-new", "-key", "ed.key", "-subj", "/CN=ed", "-out", "ed.csr"]);
  const read = (file: string) => readFileSync(join(dir, file), "utf8");
  const names = PLAN.map(([name]) => name);
  return {
    dir,
    pem: Object.fromEntries(names.map((n) => [n, read(`${n}.pem`)])),
    key: Object.fromEntries([...names, "ed"].map((n) => [n, read(`${n}.key`)])),
    csr: { rsa: read("rsa.csr"), ec: read("ec.csr"), ed: read("ed.csr") },
  };
}
