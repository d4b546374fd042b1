// Bundles for the security suites: the default policy built once by the real OPA CLI, a signing key
// pair, and the hostile variants a bundle author or a compromised bundle server could send, each
// with the code the server must refuse it with (or `ok` for hostile-looking data that is valid).
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signBundleFiles } from "../../authz-server/src/policy/sign.ts";
import type { SignatureVerification } from "../../authz-server/src/policy/signature.ts";
import { writeTarGz } from "../../authz-server/src/policy/tar.ts";
import { unpackBundleArchive } from "../../authz-server/src/policy/unpack.ts";
import { opaBinary, repoRoot } from "../../scripts/lib/tools.ts";
import { gzipBomb, manyEntries, pax, type RawEntry, tarGz } from "./hostile-tar.ts";

export interface BundleKit {
  /** The default policy's files (OPA's `opa build -t wasm`), unsigned. */
  files: Map<string, Uint8Array>;
  archive: Uint8Array;
  signed: Uint8Array;
  publicKey: KeyObject;
  privateKey: KeyObject;
  verification: SignatureVerification;
}

let kit: Promise<BundleKit> | undefined;

/** The default policy built by the real OPA CLI (also outside vitest: the long fuzz run). */
function buildDefaultBundle(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "mw-bundle-kit-"));
  try {
    const out = join(dir, "bundle.tar.gz");
    execFileSync(
      opaBinary(),
      [
        "build",
        "-t",
        "wasm",
        "-e",
        "envoy/authz/allow",
        "--ignore",
        "*_test.rego",
        "--revision",
        "good",
        "-o",
        out,
        join(repoRoot, "policy/default"),
      ],
      { stdio: "pipe" },
    );
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function bundleKit(): Promise<BundleKit> {
  kit ??= (async () => {
    const archive = buildDefaultBundle();
    const files = await unpackBundleArchive(archive);
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const signed = writeTarGz(await signFiles(files, privateKey));
    const verification: SignatureVerification = {
      keys: { default: { algorithm: "RS256", key: publicKey } },
      excludeFiles: [],
    };
    return { files, archive, signed, publicKey, privateKey, verification };
  })();
  return kit;
}

export function signFiles(files: Map<string, Uint8Array>, key: KeyObject): Promise<Map<string, Uint8Array>> {
  return signBundleFiles(files, { algorithm: "RS256", key, keyId: "default", issuedAt: 1 });
}

const text = (value: string) => new TextEncoder().encode(value);

/** `files` as raw tar entries (for archives the server's writer would not produce). */
export function entriesOf(files: Map<string, Uint8Array>): RawEntry[] {
  return [...files].map(([name, data]) => ({ name, data }));
}

/** A data document with `key` at nesting `depth` below `data.json`'s root, holding a payload
 *  that would pollute `Object.prototype` if merged naively. */
export function pollutingData(key: string, depth: number): string {
  let node: unknown = { polluted: "yes", toString: "gotcha" };
  node = { [key]: node };
  for (let i = 0; i < depth; i++) node = { [`level${i}`]: node };
  // JSON.stringify of a computed "__proto__" key writes it as a normal key.
  return JSON.stringify(node);
}

export interface HostileBundle {
  name: string;
  make: (kit: BundleKit) => Promise<Uint8Array> | Uint8Array;
  /** The refusal code with signing required; "ok" = valid data that must activate harmlessly. */
  signed: string;
  /** The refusal code without signing configured. */
  unsigned: string;
}

function withData(kit: BundleKit, path: string, data: string): Map<string, Uint8Array> {
  const files = new Map(kit.files);
  files.set(path, text(data));
  return files;
}

/** Every hostile bundle kind. `unpackedBombBytes` sizes the gzip and tar bombs. */
export function hostileBundles(unpackedBombBytes = 256 * 1024 * 1024): HostileBundle[] {
  const pollution: HostileBundle[] = [];
  for (const key of ["__proto__", "constructor", "prototype"]) {
    for (const depth of [0, 1, 4]) {
      pollution.push({
        name: `data.json with ${key} at depth ${depth}, unsigned`,
        make: (kit) => writeTarGz(withData(kit, "/data.json", pollutingData(key, depth))),
        signed: "MW_BUNDLE_SIGNATURE",
        unsigned: "ok",
      });
    }
    pollution.push({
      name: `${key} as a data directory (/${key}/data.json)`,
      make: (kit) => writeTarGz(withData(kit, `/${key}/data.json`, '{"polluted": "yes"}')),
      signed: "MW_BUNDLE_SIGNATURE",
      unsigned: "ok",
    });
    pollution.push({
      name: `${key} in .manifest metadata`,
      make: (kit) =>
        writeTarGz(withData(kit, "/.manifest", `{"revision": "m", "metadata": {"${key}": {"polluted": "yes"}}}`)),
      signed: "MW_BUNDLE_SIGNATURE",
      unsigned: "ok",
    });
  }
  pollution.push({
    name: "data.json with __proto__, validly signed (trusted author, still only data)",
    make: async (kit) =>
      writeTarGz(await signFiles(withData(kit, "/data.json", pollutingData("__proto__", 2)), kit.privateKey)),
    signed: "ok",
    unsigned: "MW_BUNDLE_SIGNATURE",
  });
  const archive: HostileBundle[] = [
    {
      name: "gzip bomb",
      make: () => gzipBomb(unpackedBombBytes),
      signed: "MW_BUNDLE_LIMIT",
      unsigned: "MW_BUNDLE_LIMIT",
    },
    {
      name: "tar header declaring far more than the archive holds",
      make: () => tarGz([{ name: "/data.json", declaredSize: unpackedBombBytes, data: "{}" }]),
      signed: "MW_BUNDLE_INVALID",
      unsigned: "MW_BUNDLE_INVALID",
    },
    {
      name: "100 000 entries",
      make: () => manyEntries(100_000),
      signed: "MW_BUNDLE_LIMIT",
      unsigned: "MW_BUNDLE_LIMIT",
    },
  ];
  const entry = (name: string, extra: RawEntry[]): HostileBundle => ({
    name,
    make: (kit) => tarGz([...entriesOf(kit.files), ...extra]),
    signed: "MW_BUNDLE_INVALID",
    unsigned: "MW_BUNDLE_INVALID",
  });
  const entries: HostileBundle[] = [
    entry("symlink to /etc/passwd", [{ name: "/evil.rego", type: "2", linkname: "/etc/passwd" }]),
    entry("symlink named data.json", [{ name: "/x/data.json", type: "2", linkname: "../../../etc/passwd" }]),
    entry("hard link", [{ name: "/copy.wasm", type: "1", linkname: "/policy.wasm" }]),
    entry("character device", [{ name: "/dev-null", type: "3" }]),
    entry("FIFO", [{ name: "/fifo", type: "6" }]),
    entry("absolute path (//)", [{ name: "//etc/cron.d/x", data: "x" }]),
    entry("dot-dot entry", [{ name: "/../../etc/x/data.json", data: "{}" }]),
    entry("dot-dot inside", [{ name: "/a/../../b/data.json", data: "{}" }]),
    entry("dot segment", [{ name: "/./data.json", data: "{}" }]),
    entry("backslash traversal", [{ name: "/a\\..\\..\\b.rego", data: "x" }]),
    entry("Windows drive letter", [{ name: "C:/x.rego", data: "x" }]),
    entry("NUL in a pax path", [
      { name: "pax", type: "x", data: pax({ path: "/a\0b.rego" }) },
      { name: "x", data: "" },
    ]),
    entry("pax path with dot-dot", [
      { name: "pax", type: "x", data: pax({ path: "/../x/data.json" }) },
      { name: "data.json", data: "{}" },
    ]),
    entry("GNU long name with dot-dot", [
      { name: "././@LongLink", type: "L", data: `/${"../".repeat(40)}etc/x` },
      { name: "x", data: "" },
    ]),
    entry("pax size record", [
      { name: "pax", type: "x", data: pax({ size: "10" }) },
      { name: "/y.rego", data: "" },
    ]),
    entry("duplicate data.json", [{ name: "/data.json", data: '{"shadow": true}' }]),
    entry("duplicate policy.wasm", [{ name: "/policy.wasm", data: "not wasm" }]),
    entry("header with a bad checksum", [{ name: "/z.rego", data: "x", badChecksum: true }]),
    {
      name: "data after the end of the archive",
      make: (kit) => tarGz(entriesOf(kit.files), new Uint8Array([1, 2, 3])),
      signed: "MW_BUNDLE_INVALID",
      unsigned: "MW_BUNDLE_INVALID",
    },
  ];
  /** Signed over `base` files, then `edit`ed: a valid signature over a different file list. */
  const resigned = (
    name: string,
    edit: (signed: Map<string, Uint8Array>) => void,
    base: (kit: BundleKit) => Map<string, Uint8Array> = (kit) => kit.files,
  ): HostileBundle => ({
    name,
    make: async (kit) => {
      const signed = await signFiles(base(kit), kit.privateKey);
      edit(signed);
      return writeTarGz(signed);
    },
    signed: "MW_BUNDLE_SIGNATURE",
    unsigned: "MW_BUNDLE_SIGNATURE",
  });
  const signatures: HostileBundle[] = [
    resigned("valid signature over a different file list (a file added)", (s) =>
      s.set("/extra/data.json", text('{"added": true}')),
    ),
    resigned(
      "valid signature over a different file list (a file removed)",
      (s) => s.delete("/more/data.json"),
      (kit) => withData(kit, "/more/data.json", "{}"),
    ),
    resigned("valid signature, data.json swapped afterwards", (s) =>
      s.set("/data.json", text('{"__proto__": {"polluted": "yes"}}')),
    ),
    {
      name: "signature by an unknown key",
      make: async (kit) => {
        const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
        return writeTarGz(await signFiles(kit.files, privateKey));
      },
      signed: "MW_BUNDLE_SIGNATURE",
      unsigned: "MW_BUNDLE_SIGNATURE",
    },
  ];
  return [...pollution, ...archive, ...entries, ...signatures];
}
