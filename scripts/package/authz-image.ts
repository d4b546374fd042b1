// The authz server's container image, assembled without a container engine, distroless-style:
//   layer 1  Debian's base-files, libc6, libgcc-s1, libstdc++6 (pinned in scripts/tool-versions.json,
//            fetched with apt-get download, hash-checked, unpacked with dpkg-deb -x: no maintainer
//            script runs), what the official Node binary links against;
//   layer 2  Node (the node24 pin the bootstrap provides) as /usr/local/bin/node, and /etc/passwd
//            and /etc/group naming the non-root user 65532 the Deployment runs as;
//   layer 3  the server: authz-server/src, package.json, the lockfile and the production
//            dependencies only (npm ci --omit=dev), owned by root and read-only to the server.
// Node is PID 1 and handles SIGTERM itself (authz-server/src/main.ts drains, then exits). Nothing
// is written under the root at run time (tsx's compile cache is off: it would write to /tmp), so
// readOnlyRootFilesystem holds with or without the Deployment's /tmp emptyDir. Layers are uncompressed tars:
// their bytes, and so the digest the manifests pin, depend on nothing but the inputs (a gzip
// stream would depend on the zlib build).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Apt, unpack } from "../bootstrap/debian/apt.ts";
import { chooseVersion } from "../bootstrap/debian/control.ts";
import { sha256OfFile } from "../bootstrap/exec.ts";
import { AUTHZ_NODE_FLAGS } from "../lib/authz-node-flags.ts";
import { node24Binary, repoRoot, toolVersions } from "../lib/tools.ts";
import { type Descriptor, MEDIA, OciLayout } from "./oci-layout.ts";
import { FIXED_MTIME, reproducibleTar } from "./reproducible-tar.ts";
import type { ImageMeta } from "./wasm-images.ts";

export const NONROOT_UID = 65532;
export const APP_DIR = "/app";
/**
 * The server's files in the image. The revision label is a digest of their committed blobs (not
 * HEAD, not the last commit that touched them): a commit that only pins the image's digest must not
 * change the image, and a shallow clone, which has no history, must build the same digest.
 */
const APP_INPUTS = ["authz-server/src", "package.json", "package-lock.json", "tsconfig.json"];

/** Every path under `dir`, relative (reproducibleTar puts them in order). */
function entries(dir: string, under = dir): string[] {
  return readdirSync(under, { withFileTypes: true }).flatMap((e) => {
    const path = join(under, e.name);
    return e.isDirectory() ? [relative(dir, path), ...entries(dir, path)] : [relative(dir, path)];
  });
}

async function debianLayer(root: string): Promise<string[]> {
  const pin = toolVersions.authzImage;
  const apt = Apt.require("the authz image's Debian base");
  const arch = await apt.arch();
  const offered = await apt.show(pin.debian.map((p) => p.package));
  const choices = pin.debian.map((p) => chooseVersion(p, pin.accept, offered, arch));
  const debs = await apt.download(choices.map((c) => c.stanza));
  for (const [i, deb] of debs.entries()) {
    const choice = choices[i] as (typeof choices)[number];
    const got = await sha256OfFile(deb);
    if (got !== choice.sha256)
      throw new Error(
        `${choice.stanza.package} ${choice.stanza.version}: .deb SHA256 ${got}, expected ${choice.sha256}`,
      );
    await unpack(deb, root);
  }
  for (const c of choices) if (c.note) console.log(`package: ${c.note}`);
  return choices.map((c) => `${c.stanza.package}=${c.stanza.version}`);
}

function runtimeLayer(root: string): void {
  mkdirSync(join(root, "usr/local/bin"), { recursive: true });
  copyFileSync(node24Binary(), join(root, "usr/local/bin/node"));
  chmodSync(join(root, "usr/local/bin/node"), 0o755);
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(
    join(root, "etc/passwd"),
    `root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:${NONROOT_UID}:${NONROOT_UID}:nonroot:/home/nonroot:/sbin/nologin\n`,
  );
  writeFileSync(join(root, "etc/group"), `root:x:0:\nnonroot:x:${NONROOT_UID}:\n`);
  mkdirSync(join(root, "home/nonroot"), { recursive: true });
  mkdirSync(join(root, "tmp"), { recursive: true });
}

function appLayer(root: string): void {
  const app = join(root, APP_DIR.slice(1));
  mkdirSync(app, { recursive: true });
  for (const input of APP_INPUTS) cpSync(join(repoRoot, input), join(app, input), { recursive: true });
  // Production dependencies exactly as the lockfile pins them; no install script runs.
  execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: app,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
}

/** The file `--import tsx` resolves to, so the entrypoint does not depend on the working directory. */
function tsxLoader(app: string): string {
  const pkg = JSON.parse(readFileSync(join(app, "node_modules/tsx/package.json"), "utf8")) as {
    exports: { ".": string | { import?: string; default?: string } };
  };
  const main = pkg.exports["."];
  const file = typeof main === "string" ? main : (main.import ?? main.default);
  if (!file) throw new Error("tsx's package.json exports no entry for '.'");
  return `file://${join(APP_DIR, "node_modules/tsx", file)}`;
}

function sourceDigestOf(paths: string[]): string {
  try {
    const listing = execFileSync("git", ["ls-tree", "-r", "HEAD", "--", ...paths], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    return `sha256:${createHash("sha256").update(listing).digest("hex")}`;
  } catch {
    return "unknown";
  }
}

export async function buildAuthzImage(dir: string, meta: ImageMeta): Promise<Descriptor> {
  const stage = `${dir}.stage`;
  rmSync(stage, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  const roots = { debian: join(stage, "debian"), runtime: join(stage, "runtime"), app: join(stage, "app") };
  const debian = await debianLayer(roots.debian);
  runtimeLayer(roots.runtime);
  appLayer(roots.app);

  const layout = new OciLayout(dir);
  const layers: { mediaType: string; source: { file: string } }[] = [];
  const diffIds: string[] = [];
  for (const [name, root] of Object.entries(roots)) {
    const tar = join(stage, `${name}.tar`);
    reproducibleTar(root, entries(root), tar);
    const blob = await layout.addBlob(MEDIA.tarLayer, { file: tar });
    diffIds.push(blob.digest); // uncompressed: the diff_id is the layer digest
    layers.push({ mediaType: MEDIA.tarLayer, source: { file: tar } });
  }
  const created = new Date(FIXED_MTIME * 1000).toISOString();
  const labels = {
    "org.opencontainers.image.created": created,
    "org.opencontainers.image.source": meta.source,
    "org.opencontainers.image.revision": sourceDigestOf(APP_INPUTS),
    "org.opencontainers.image.version": meta.version,
    "org.opencontainers.image.title": "meshward-authz-server",
    "org.opencontainers.image.base.name": `debian:bookworm (${debian.join(", ")})`,
  };
  const config = {
    architecture: "amd64",
    os: "linux",
    created,
    config: {
      User: `${NONROOT_UID}:${NONROOT_UID}`,
      Env: ["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_ENV=production", "TSX_DISABLE_CACHE=1"],
      Entrypoint: [
        "/usr/local/bin/node",
        ...AUTHZ_NODE_FLAGS,
        "--import",
        tsxLoader(join(roots.app, APP_DIR.slice(1))),
        `${APP_DIR}/authz-server/src/main.ts`,
      ],
      Cmd: ["--config", "/etc/meshward/authz.yaml"],
      WorkingDir: APP_DIR,
      ExposedPorts: { "9001/tcp": {}, "8080/tcp": {}, "9003/tcp": {} },
      Labels: labels,
    },
    rootfs: { type: "layers", diff_ids: diffIds },
  };
  const descriptor = await layout.addImage(
    meta.version,
    { mediaType: MEDIA.imageConfig, json: config },
    layers,
    labels,
  );
  layout.finish();
  rmSync(stage, { recursive: true, force: true });
  return descriptor;
}
