// `meshward-authz-sign`: signs an OPA bundle (.tar.gz) in place of `opa build --signing-key`.
//   node --import tsx authz-server/src/tools/sign-bundle.ts --key private.pem [--alg RS256]
//        [--kid default] [--scope s] --in bundle.tar.gz --out signed.tar.gz
import { createPrivateKey, createSecretKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { signBundleFiles } from "../policy/sign.ts";
import { writeTarGz } from "../policy/tar.ts";
import { unpackBundleArchive } from "../policy/unpack.ts";

const USAGE =
  "usage: meshward-authz-sign --key <private.pem|secret file> [--alg RS256] [--kid default] [--scope s] --in <bundle.tar.gz> --out <signed.tar.gz>";

async function main(argv: string[]): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] as string;
    if (flag === "--help") {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    if (!["--key", "--alg", "--kid", "--scope", "--in", "--out"].includes(flag) || argv[i + 1] === undefined) {
      throw new Error(`bad option ${flag}\n${USAGE}`);
    }
    args.set(flag, argv[i + 1] as string);
  }
  for (const required of ["--key", "--in", "--out"])
    if (!args.has(required)) throw new Error(`${required} is required\n${USAGE}`);
  const algorithm = args.get("--alg") ?? "RS256";
  const keyBytes = readFileSync(args.get("--key") as string);
  const key = algorithm.startsWith("HS") ? createSecretKey(keyBytes) : createPrivateKey(keyBytes);
  const files = await unpackBundleArchive(new Uint8Array(readFileSync(args.get("--in") as string)));
  const signed = await signBundleFiles(files, {
    algorithm,
    key,
    keyId: args.get("--kid") ?? "default",
    ...(args.has("--scope") ? { scope: args.get("--scope") as string } : {}),
    issuedAt: Math.floor(Date.now() / 1000),
  });
  writeFileSync(args.get("--out") as string, writeTarGz(signed));
  process.stdout.write(`signed ${signed.size - 1} files → ${args.get("--out")}\n`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`meshward-authz-sign: ${err.message}\n`);
  process.exit(1);
});
