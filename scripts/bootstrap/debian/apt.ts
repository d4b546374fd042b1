// Debian packages without root and without touching the system: apt-get and apt-cache run on a
// project-local state (package lists, download cache) under .tools/apt, with the machine's own
// sources and keyring. `apt-get download` checks each .deb against the hash in the signed index;
// `dpkg-deb -x` unpacks it into a directory of ours; nothing is installed and no maintainer script
// runs. The hooks the machine's apt configuration runs after `apt-get update` (refreshing system
// caches) are cleared for our runs.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toolsDir } from "../../lib/tools.ts";
import { onPath, type RunResult, run } from "../exec.ts";
import { ProvisionError } from "../report.ts";
import { parseStanzas, type Stanza } from "./control.ts";

const APT_CONF = `// Written by scripts/bootstrap: apt on .tools/apt, never on the system's own state.
#clear APT::Update::Post-Invoke-Success;
#clear APT::Update::Post-Invoke;
#clear DPkg::Post-Invoke;
#clear DPkg::Pre-Install-Pkgs;
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled "false";
Acquire::Languages "none";
// Some images switch apt's binary cache off; without it every apt-cache call re-parses all lists
// (seconds each on a loaded machine). Ours lives in .tools/apt/cache.
Dir::Cache::pkgcache "pkgcache.bin";
Dir::Cache::srcpkgcache "srcpkgcache.bin";
`;

export class Apt {
  readonly dir = join(toolsDir, "apt");
  readonly debs = join(this.dir, "debs");
  private listsFresh = false;
  private archCache: string | undefined;

  /** Fails with what to do when this machine has no apt/dpkg at all. */
  static require(what: string, path = process.env.PATH ?? ""): Apt {
    const missing = ["apt-get", "apt-cache", "dpkg-deb", "dpkg-query", "ldd"].filter((c) => !onPath(c, path));
    if (missing.length)
      throw new ProvisionError(
        `${what} comes from Debian's packages, fetched with apt-get download, but this machine has no ${missing.join(", ")}; install ${what} yourself so that it is on PATH (the bootstrap then reuses it)`,
      );
    return new Apt();
  }

  private args(): string[] {
    const conf = join(this.dir, "apt.conf");
    for (const d of ["state/lists/partial", "cache/archives/partial", "debs"])
      mkdirSync(join(this.dir, d), { recursive: true });
    writeFileSync(conf, APT_CONF);
    // biome-ignore format: one option and its value per line
    return [
      "-q",
      "-c", conf,
      "-o", `Dir::State=${join(this.dir, "state")}`,
      "-o", `Dir::Cache=${join(this.dir, "cache")}`,
      "-o", "Dir::State::status=/var/lib/dpkg/status",
      // As root, apt would hand downloads to the unprivileged _apt user, who cannot write into .tools.
      ...(process.getuid?.() === 0 ? ["-o", "APT::Sandbox::User=root"] : []),
    ];
  }

  private hasLists(): boolean {
    const lists = join(this.dir, "state/lists");
    return existsSync(lists) && readdirSync(lists).some((f) => f.includes("_Packages"));
  }

  /** Fetches the package lists into .tools/apt once per bootstrap run (a few seconds, ~15 MB). */
  async update(): Promise<void> {
    if (this.listsFresh) return;
    const r = await run("apt-get", [...this.args(), "update"], { timeoutMs: 300_000 });
    if (!r.ok || !this.hasLists())
      throw new ProvisionError(`apt-get update (project-local lists in .tools/apt) failed:\n${tail(r)}`);
    this.listsFresh = true;
  }

  /** Every version the index offers of each package (empty for names it does not know). */
  async show(packages: string[]): Promise<Stanza[]> {
    if (!this.hasLists()) await this.update();
    if (packages.length === 0) return [];
    // Unknown names only add an error line on stderr; the known ones still print.
    const r = await run("apt-cache", [...this.args(), "show", ...packages]);
    return parseStanzas(r.stdout);
  }

  async arch(): Promise<string> {
    if (this.archCache === undefined) {
      const r = await run("dpkg", ["--print-architecture"]);
      this.archCache = r.ok ? r.stdout.trim() : "amd64";
    }
    return this.archCache;
  }

  /**
   * Downloads exactly these `name=version`s into .tools/apt/debs (one apt-get call) and returns
   * their paths in order. A version gone from the mirror since the lists were fetched gets one
   * retry after refreshing them.
   */
  async download(wanted: { package: string; version: string }[]): Promise<string[]> {
    const arch = await this.arch();
    const paths = (w: { package: string; version: string }) => {
      const file = join(this.debs, `${w.package}_${w.version.replace(/:/g, "%3a")}_${arch}.deb`);
      return [file, file.replace(/_[^_]+\.deb$/, "_all.deb")];
    };
    const found = () => wanted.map((w) => paths(w).find((f) => existsSync(f)));
    const missing = wanted.filter((_, i) => found()[i] === undefined);
    if (missing.length) {
      const specs = missing.map((w) => `${w.package}=${w.version}`);
      let r = await run("apt-get", [...this.args(), "download", ...specs], { cwd: this.debs });
      if (!r.ok && !this.listsFresh) {
        await this.update();
        r = await run("apt-get", [...this.args(), "download", ...specs], { cwd: this.debs });
      }
      if (!r.ok) throw new ProvisionError(`apt-get download ${specs.join(" ")} failed:\n${tail(r)}`);
    }
    return found().map((f, i) => {
      if (!f) throw new ProvisionError(`apt-get download left no .deb for ${wanted[i]?.package}`);
      return f;
    });
  }

  /** Names among `packages` that dpkg has installed on this machine. */
  async installed(packages: string[]): Promise<Set<string>> {
    if (packages.length === 0) return new Set();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format
    const r = await run("dpkg-query", ["-W", "-f", "${Package}\\t${db:Status-Abbrev}\\n", ...packages]);
    const names = new Set<string>();
    for (const line of r.stdout.split("\n")) {
      const [name, status] = line.split("\t");
      if (name && status?.startsWith("ii")) names.add(name.replace(/:\w+$/, ""));
    }
    return names;
  }
}

/** Unpacks a .deb's files (no maintainer scripts) under `root`. */
export async function unpack(deb: string, root: string): Promise<void> {
  mkdirSync(root, { recursive: true });
  const r = await run("dpkg-deb", ["-x", deb, root]);
  if (!r.ok) throw new ProvisionError(`dpkg-deb -x ${deb} failed:\n${tail(r)}`);
}

/** The paths a .deb would unpack (as `./usr/lib/...`). */
export async function contents(deb: string): Promise<string[]> {
  const r = await run("dpkg-deb", ["-c", deb]);
  if (!r.ok) throw new ProvisionError(`dpkg-deb -c ${deb} failed:\n${tail(r)}`);
  return r.stdout
    .split("\n")
    .map((line) => /\s(\.\/\S+)/.exec(line)?.[1] ?? "")
    .filter(Boolean);
}

const tail = (r: RunResult): string => r.out.split("\n").slice(-15).join("\n");
