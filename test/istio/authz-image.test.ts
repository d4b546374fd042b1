// The authz server's image as `npm run package` built it into build/images/authz-server: pinned by
// the base kustomization, reproducible (a second build gives the same digest), and it runs from its
// own root filesystem as the non-root user with the Deployment's config and bundle mounts.
// Part of `npm run test:istio` (which runs `npm run package` first); running the image's root
// needs chroot, hence root.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { onPath } from "../../scripts/bootstrap/exec.ts";
import { type ManagedProcess, startProcess } from "../../scripts/lib/processes.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { buildAuthzImage, NONROOT_UID } from "../../scripts/package/authz-image.ts";
import { imageMeta } from "../../scripts/package/names.ts";
import { layoutDigest } from "../../scripts/package/oci-layout.ts";
import { pinnedAuthzDigest } from "../../scripts/package/pinned-digests.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";
import { IMAGES_DIR } from "./support/registry.ts";

const LAYOUT = join(IMAGES_DIR, "authz-server");
const built = (): string => layoutDigest(LAYOUT, imageMeta().version);

function blobJson<T>(digest: string): T {
  return JSON.parse(readFileSync(join(LAYOUT, "blobs/sha256", digest.replace("sha256:", "")), "utf8")) as T;
}

interface ImageConfig {
  config: { User: string; Env: string[]; Entrypoint: string[]; Labels: Record<string, string> };
}

describe("authz server image (build/images/authz-server)", () => {
  const manifest = () => blobJson<{ config: { digest: string }; layers: { digest: string }[] }>(built());
  const config = () => blobJson<ImageConfig>(manifest().config.digest);
  let server: ManagedProcess | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("is the image the base kustomization pins (re-run `npm run package` after changing the server)", () => {
    expect(pinnedAuthzDigest(repoRoot)).toBe(built());
  });

  it("runs as the non-root user with the production Node flags and the OCI labels", () => {
    const c = config().config;
    expect(c.User).toBe(`${NONROOT_UID}:${NONROOT_UID}`);
    expect(c.Env).toContain("NODE_ENV=production");
    expect(c.Entrypoint).toEqual(expect.arrayContaining(["--max-old-space-size=384"]));
    for (const label of ["source", "revision", "version"])
      expect(c.Labels[`org.opencontainers.image.${label}`]).toMatch(/\S/);
  });

  it("is reproducible: a second build from the same tree has the same digest", async () => {
    const again = await buildAuthzImage(join(scratchDir("mw-authz-image"), "authz-server"), imageMeta());
    expect(again.digest).toBe(built());
  }, 600_000);

  it.skipIf(process.getuid?.() !== 0)(
    "starts from its own root as uid 65532 with the Deployment's mounts and answers /healthz",
    async () => {
      const root = scratchDir("mw-authz-root");
      chmodSync(root, 0o755); // a container runtime's root; mkdtemp makes it 0700
      for (const layer of manifest().layers)
        execFileSync("tar", ["-xf", join(LAYOUT, "blobs/sha256", layer.digest.replace("sha256:", "")), "-C", root]);
      // Production dependencies only: what the lockfile marks dev-only is absent, the server's are there.
      const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as {
        packages: Record<string, { dev?: boolean; optional?: boolean }>;
      };
      const top = Object.entries(lock.packages).filter(([path]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path));
      const devOnly = top.filter(([, p]) => p.dev).map(([path]) => path);
      expect(devOnly).toContain("node_modules/vitest");
      for (const path of devOnly) expect(existsSync(join(root, "app", path)), path).toBe(false);
      // (optional ones are per platform: esbuild installs only this machine's)
      for (const [path] of top.filter(([, p]) => !p.dev && !p.optional))
        expect(existsSync(join(root, "app", path)), path).toBe(true);
      // What the Deployment mounts: the config (ports the kernel picks, loopback only, no
      // RateLimitService port to collide with), the signed bundle and its key.
      const base = parse(readFileSync(join(repoRoot, "manifests/authz-server/base/config/authz.yaml"), "utf8"));
      const testConfig = {
        ...base,
        grpc: { host: "127.0.0.1", port: 0 },
        http: { ...base.http, host: "127.0.0.1", port: 0 },
        rateLimit: undefined,
        logging: { level: "info", decisions: { enabled: false } },
      };
      mkdirSync(join(root, "etc/meshward"), { recursive: true });
      writeFileSync(join(root, "etc/meshward/authz.yaml"), stringify(testConfig));
      mkdirSync(join(root, "var/lib/meshward/bundle"), { recursive: true });
      for (const file of ["bundle.tar.gz", "verification-key.pem"])
        copyFileSync(
          join(repoRoot, "manifests/authz-server/base/policy-bundle", file),
          join(root, "var/lib/meshward/bundle", file),
        );
      const c = config().config;
      const env = Object.fromEntries(c.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
      // The image's environment only; chroot itself is found on this machine's PATH.
      const chroot = onPath("chroot");
      if (!chroot) throw new Error("chroot (coreutils) is not on PATH");
      server = startProcess(
        "authz-image",
        chroot,
        [`--userspec=${c.User}`, root, ...c.Entrypoint, "--config", "/etc/meshward/authz.yaml"],
        { env },
      );
      const line = await server.waitForLine(/"event":"listening"/, 120_000);
      const { httpPort } = JSON.parse(line) as { httpPort: number };
      expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
      // The process is the non-root user, and nothing of the image is writable to it.
      expect(readFileSync(`/proc/${server.pid}/status`, "utf8")).toMatch(new RegExp(`Uid:\\s+${NONROOT_UID}\\s`));
      const writable = execFileSync("find", [root, "-xdev", "-perm", "-o+w", "-not", "-type", "l"], {
        encoding: "utf8",
      });
      expect(writable.trim()).toBe("");
      // Node handles SIGTERM itself (no init process in the image): it drains and exits 0.
      expect(await server.stop(20_000)).toBe(0);
    },
    180_000,
  );
});
