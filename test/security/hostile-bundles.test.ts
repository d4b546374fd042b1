// Hostile bundles against the running server (test/security/hostile-bundle-run.ts): pollution keys
// at every depth, gzip bombs and lying tar headers, links, devices, absolute and `..` entries,
// duplicates, 100 000 entries, valid signatures over a different file list — with signing required
// and without. Every one is refused with its MW_BUNDLE_* code (or, for hostile-looking data, kept as
// data), the server stays up with the last good bundle deciding, Object.prototype is intact and
// memory stays bounded. The long run is `npm run fuzz -- --only bundles`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BundleKit, bundleKit } from "./bundle-kit.ts";
import {
  expectedCode,
  type HostileServer,
  hostileBundles,
  loadHostile,
  mutatedArchives,
  startHostileServer,
} from "./hostile-bundle-run.ts";

let kit: BundleKit;
const servers: Record<string, HostileServer> = {};

beforeAll(async () => {
  kit = await bundleKit();
  servers.signed = await startHostileServer(kit, true);
  servers.unsigned = await startHostileServer(kit, false);
}, 60_000);
afterAll(async () => {
  for (const server of Object.values(servers)) await server.close();
});

const bundles = hostileBundles(64 * 1024 * 1024);

describe.each(["signed", "unsigned"] as const)("hostile bundles, signing %s", (mode) => {
  const heapAtStart = process.memoryUsage().heapUsed;

  it.each(bundles.map((b) => [b.name, b] as const))("%s", async (_name, bundle) => {
    const target = servers[mode] as HostileServer;
    const outcome = await loadHostile(
      target,
      kit,
      bundle.name,
      await bundle.make(kit),
      expectedCode(bundle, mode === "signed"),
    );
    expect(outcome.problems).toEqual([]);
  });

  it("survives 30 seeded random mutations of the good archive", async () => {
    const target = servers[mode] as HostileServer;
    for (const archive of mutatedArchives(kit, 30, 20261128)) {
      const outcome = await loadHostile(target, kit, "mutation", archive, "any");
      expect(outcome.problems).toEqual([]);
    }
  });

  it("keeps memory bounded", () => {
    // The bombs unpack to 64 MiB each and 100 000 entries were offered: none of it may stay.
    global.gc?.();
    expect(process.memoryUsage().heapUsed - heapAtStart).toBeLessThan(64 * 1024 * 1024);
  });
});
