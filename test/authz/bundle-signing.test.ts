// Bundle signatures: bundles signed by the real `opa build --signing-key` and by Meshward's signer
// verify; tampering, a wrong key, a missing or unexpected signature are refused with reasons, and the
// last good bundle stays active. Keys are generated at test time.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ActivePolicy } from "../../authz-server/src/policy/active-policy.ts";
import { canonicalJson } from "../../authz-server/src/policy/canonical-json.ts";
import { signBundleFiles } from "../../authz-server/src/policy/sign.ts";
import type { SignatureVerification } from "../../authz-server/src/policy/signature.ts";
import { writeTarGz } from "../../authz-server/src/policy/tar.ts";
import { unpackBundleArchive } from "../../authz-server/src/policy/unpack.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { buildBundle, readBundle } from "./helpers/opa-bundle.ts";
import { scratchDir } from "./helpers/scratch.ts";

const dir = scratchDir("mw-sign");
let privatePem = "";
let publicKey: KeyObject;
let otherPublic: KeyObject;
let privateKey: KeyObject;

const verification = (
  key: KeyObject = publicKey,
  extra: Partial<SignatureVerification> = {},
): SignatureVerification => ({
  keys: { default: { algorithm: "RS256", key } },
  excludeFiles: [],
  ...extra,
});

const DATA = { meta: { note: "x<y", n: 1.5, list: [3, 2, 1] } };

beforeAll(() => {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  privateKey = pair.privateKey;
  publicKey = pair.publicKey;
  otherPublic = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
  privatePem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  writeFileSync(join(dir, "private.pem"), privatePem);
});

function opaSigned(revision = "signed"): Uint8Array {
  const path = buildBundle("policy/default", {
    entrypoints: ["envoy/authz/allow"],
    data: DATA,
    revision,
    extraArgs: ["--bundle", "--signing-key", join(dir, "private.pem")],
  });
  return readBundle(path);
}

describe("bundle signatures", () => {
  it("hashes JSON the way OPA does (sorted keys, literal numbers, no HTML escaping)", () => {
    expect(canonicalJson('{ "b": 1.50, "a": ["<", "\\u2028", 1e3] }')).toBe('{"a":["<","\\u2028",1e3],"b":1.50}');
  });

  it("verifies a bundle signed by the real `opa build --signing-key`", async () => {
    const policy = new ActivePolicy({ signature: verification() });
    await policy.activateFromBytes(opaSigned(), "opa");
    expect(policy.bundleStatus).toMatchObject({ active: true, revision: "signed" });
  });

  it("verifies a bundle signed by Meshward's signer, and OPA accepts it too", async () => {
    const unsigned = readBundle(buildBundle("policy/default", { entrypoints: ["envoy/authz/allow"], data: DATA }));
    const signed = writeTarGz(
      await signBundleFiles(await unpackBundleArchive(unsigned), {
        algorithm: "RS256",
        key: privateKey,
        keyId: "default",
        issuedAt: 1,
      }),
    );
    const policy = new ActivePolicy({ signature: verification() });
    await policy.activateFromBytes(signed, "meshward");
    expect(policy.bundleStatus.active).toBe(true);
    // Cross-check with OPA: `opa build --verification-key` refuses bundles whose signature fails.
    const path = join(dir, "meshward-signed.tar.gz");
    writeFileSync(path, signed);
    writeFileSync(join(dir, "public.pem"), publicKey.export({ type: "spki", format: "pem" }));
    const out = join(dir, "reverified.tar.gz");
    execFileSync(
      join(repoRoot, ".tools/bin/opa"),
      ["build", "-b", path, "--verification-key", join(dir, "public.pem"), "-o", out],
      { stdio: "pipe", cwd: dir },
    );
  });

  it("refuses tampering, a wrong key, unsigned and unexpected signatures; keeps the last good", async () => {
    const policy = new ActivePolicy({ signature: verification() });
    await policy.activateFromBytes(opaSigned("good"), "good");
    const files = await unpackBundleArchive(opaSigned("tampered"));
    files.set("/data.json", new TextEncoder().encode(JSON.stringify({ meta: { note: "evil" } })));
    await expect(policy.activateFromBytes(writeTarGz(files), "tampered")).rejects.toThrow(
      /data\.json: digest does not match/,
    );
    const extra = await unpackBundleArchive(opaSigned("extra"));
    extra.set("/envoy/extra.rego", new TextEncoder().encode("package x"));
    await expect(policy.activateFromBytes(writeTarGz(extra), "extra")).rejects.toThrow(
      /envoy\/extra\.rego is in the bundle but not in the signature/,
    );
    await expect(
      new ActivePolicy({ signature: verification(otherPublic) }).activateFromBytes(opaSigned(), "x"),
    ).rejects.toThrow(/does not verify/);
    const unsigned = readBundle(buildBundle("policy/default", { entrypoints: ["envoy/authz/allow"] }));
    await expect(policy.activateFromBytes(unsigned, "unsigned")).rejects.toThrow(/not signed/);
    await expect(new ActivePolicy().activateFromBytes(opaSigned(), "x")).rejects.toThrow(
      /signed but no verification key/,
    );
    expect(policy.bundleStatus).toMatchObject({ active: true, revision: "good", lastErrorCode: "MW_BUNDLE_SIGNATURE" });
  });

  it("pins the algorithm to the configured key (an HS256 signature made with the public key fails)", async () => {
    const files = await unpackBundleArchive(
      readBundle(buildBundle("policy/default", { entrypoints: ["envoy/authz/allow"] })),
    );
    const pem = publicKey.export({ type: "spki", format: "pem" });
    const forged = await signBundleFiles(files, {
      algorithm: "HS256",
      key: new Uint8Array(Buffer.from(pem)),
      keyId: "default",
      issuedAt: 1,
    });
    await expect(
      new ActivePolicy({ signature: verification() }).activateFromBytes(writeTarGz(forged), "forged"),
    ).rejects.toThrow(/does not verify/);
  });

  it("checks the scope when one is configured", async () => {
    const files = await unpackBundleArchive(
      readBundle(buildBundle("policy/default", { entrypoints: ["envoy/authz/allow"] })),
    );
    const signed = writeTarGz(
      await signBundleFiles(files, {
        algorithm: "RS256",
        key: privateKey,
        keyId: "default",
        scope: "read",
        issuedAt: 1,
      }),
    );
    await expect(
      new ActivePolicy({ signature: verification(publicKey, { scope: "write" }) }).activateFromBytes(signed, "s"),
    ).rejects.toThrow(/scope/);
    await new ActivePolicy({ signature: verification(publicKey, { scope: "read" }) }).activateFromBytes(signed, "s");
  });
});
