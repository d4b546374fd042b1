// A throwaway PKI for TLS tests, made with the openssl CLI at test time (nothing committed):
// a CA, a server certificate for 127.0.0.1/localhost and a client certificate with a SPIFFE URI SAN.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "./scratch.ts";

export interface TestPki {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** `openssl req` arguments for a fresh P-256 key written to `<name>.key`. */
export const newKey = (name: string): string[] => [
  "-newkey",
  "ec",
  "-pkeyopt",
  "ec_paramgen_curve:P-256",
  "-nodes",
  "-keyout",
  `${name}.key`,
];

/** `openssl x509` arguments that sign `<name>.csr` with `ca.pem`/`ca.key` into `<name>.pem`. */
export const signWithCa = (name: string, days: number): string[] => [
  "x509",
  "-req",
  "-in",
  `${name}.csr`,
  "-CA",
  "ca.pem",
  "-CAkey",
  "ca.key",
  "-CAcreateserial",
  "-out",
  `${name}.pem`,
  "-days",
  String(days),
];

function leaf(dir: string, name: string, san: string, usage: string): void {
  openssl(dir, ["req", ...newKey(name), "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  openssl(dir, [...signWithCa(name, 1), "-extfile", `${name}.ext`]);
}

export function makeTestPki(): TestPki {
  const dir = scratchDir("mw-pki");
  openssl(dir, ["req", "-x509", ...newKey("ca"), "-out", "ca.pem", "-days", "1", "-subj", "/CN=meshward-test-ca"]);
  leaf(dir, "server", "IP:127.0.0.1,DNS:localhost", "serverAuth");
  leaf(dir, "client", "URI:spiffe://cluster.local/ns/mesh/sa/envoy", "clientAuth");
  return {
    dir,
    caFile: join(dir, "ca.pem"),
    serverCertFile: join(dir, "server.pem"),
    serverKeyFile: join(dir, "server.key"),
    clientCertFile: join(dir, "client.pem"),
    clientKeyFile: join(dir, "client.key"),
  };
}
