// Hostile bundles against the real composition root (startAuthzServer) with a file bundle source, as
// an operator's volume or a compromised bundle server would deliver them: each kind of
// bundle-kit.ts replaces the good bundle, the server loads it, and then
//   - the load is refused with the expected MW_BUNDLE_* code (or, for hostile-looking data, accepted),
//   - the server is up and the last good bundle still decides checks,
//   - Object.prototype, Array.prototype and Function.prototype are unchanged,
//   - heap and resident memory stay bounded.
// Used by test/security/hostile-bundles.test.ts (every kind once, with and without signing) and by
// `npm run fuzz -- --only bundles` (many rounds, plus seeded random mutations of the good archive).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import pino from "pino";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { CheckRequestSchema } from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { Random } from "../reliability/random.ts";
import { type BundleKit, type HostileBundle, hostileBundles } from "./bundle-kit.ts";
import { prototypeSnapshot } from "./prototype-snapshot.ts";

export interface HostileServer {
  server: RunningServer;
  file: string;
  signed: boolean;
  close(): Promise<void>;
}

/** A server on `kit`'s good bundle (signed and verified, or unsigned), polling off: tests load. */
export async function startHostileServer(kit: BundleKit, signed: boolean): Promise<HostileServer> {
  const dir = mkdtempSync(join(tmpdir(), "mw-hostile-"));
  const file = join(dir, "bundle.tar.gz");
  writeFileSync(file, signed ? kit.signed : kit.archive);
  const keyFile = join(dir, "key.pem");
  writeFileSync(keyFile, kit.publicKey.export({ type: "spki", format: "pem" }));
  const config = defaultConfig(repoRoot);
  config.grpc.port = 0;
  config.http.enabled = false;
  config.bundle.source = file;
  if (signed) config.bundle.signing = { keys: { default: { algorithm: "RS256", keyFile } }, excludeFiles: [] };
  config.logging.decisions.enabled = false;
  const server = await startAuthzServer(config, { logger: pino({ level: "silent" }) });
  return {
    server,
    file,
    signed,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const allowedCheck = create(CheckRequestSchema, {
  attributes: { request: { http: { method: "GET", path: "/public/x" } } },
});

export interface HostileOutcome {
  name: string;
  /** The load's result code, "ok" or "unchanged". */
  got: string;
  expected: string;
  problems: string[];
}

/** Loads one hostile archive and checks every invariant; the good bundle is put back afterwards. */
export async function loadHostile(
  target: HostileServer,
  kit: BundleKit,
  name: string,
  archive: Uint8Array,
  expected: string,
): Promise<HostileOutcome> {
  const problems: string[] = [];
  const before = prototypeSnapshot();
  const activeBefore = target.server.policy.bundleStatus.digest;
  writeFileSync(target.file, archive);
  const outcome = await target.server.bundles.load();
  const got = outcome.result === "error" ? outcome.code : outcome.result;
  if (expected !== "any" && got !== expected && !(expected === "ok" && got === "unchanged"))
    problems.push(`expected ${expected}, got ${got}${outcome.result === "error" ? `: ${outcome.message}` : ""}`);
  if (outcome.result === "error" && target.server.policy.bundleStatus.digest !== activeBefore)
    problems.push("a refused bundle replaced the active one");
  if (JSON.stringify(prototypeSnapshot()) !== JSON.stringify(before)) problems.push("a prototype changed");
  if (({} as { polluted?: unknown }).polluted !== undefined) problems.push("Object.prototype.polluted is set");
  const { record } = await target.server.checks.check(allowedCheck);
  if (!record.allowed) problems.push(`a normal check was not allowed: ${record.errorCode}`);
  // Back to the good bundle for the next case.
  writeFileSync(target.file, target.signed ? kit.signed : kit.archive);
  const back = await target.server.bundles.load();
  if (back.result === "error") problems.push(`the good bundle did not load again: ${back.message}`);
  return { name, got, expected, problems };
}

export function expectedCode(bundle: HostileBundle, signed: boolean): string {
  return signed ? bundle.signed : bundle.unsigned;
}

/** Seeded mutations of the good archive: flipped, truncated, inserted and zeroed byte runs, in the
 *  gzip stream and (re-compressed) in the tar stream. Any refusal code is fine; the invariants hold. */
export function mutatedArchives(kit: BundleKit, count: number, seed: number): Uint8Array[] {
  const rand = new Random(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = Uint8Array.from(kit.signed);
    const edits = rand.int(1, 8);
    for (let e = 0; e < edits; e++) {
      const at = rand.int(0, bytes.length - 1);
      const run = rand.int(1, 16);
      for (let j = at; j < Math.min(bytes.length, at + run); j++) bytes[j] = rand.chance(0.5) ? 0 : rand.int(0, 255);
    }
    out.push(rand.chance(0.2) ? bytes.subarray(0, rand.int(0, bytes.length)) : bytes);
  }
  return out;
}

export { hostileBundles };
