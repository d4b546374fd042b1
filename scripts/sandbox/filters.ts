// Which Meshward filters the sandbox loads into Envoy. A filter is included when its module is built
// (`build/filters/<name>.wasm`) and an example configuration is known: the filter's own Envoy example
// (`filters/<name>/envoy.yaml`, its Wasm `configuration`), else the `pluginConfig` of its Istio
// WasmPlugin (`manifests/istio/filters/wasm-plugin/<name>.yaml`) — the same documents users apply.
// Anything missing leaves the filter out with a line saying why; the sandbox runs without it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { WasmFilterSpec } from "../lib/envoy-config.ts";

/** In request order: shape traffic first, then pick the endpoint (the router uses the pick). */
export const SANDBOX_FILTERS = ["traffic-shaper", "adaptive-lb"] as const;

export interface FilterChoice {
  name: string;
  /** Set when the filter is loaded. */
  spec?: WasmFilterSpec;
  /** Where the configuration came from, or why the filter is absent. */
  note: string;
}

/** The Wasm `configuration` value in an Envoy example: the first object with a `vm_config` whose
 *  `configuration` is a StringValue (`{value: "..."}`) or plain string. Undefined when none. */
export function envoyExampleConfig(document: unknown): string | undefined {
  if (Array.isArray(document)) {
    for (const item of document) {
      const found = envoyExampleConfig(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof document !== "object" || document === null) return undefined;
  const obj = document as Record<string, unknown>;
  if ("vm_config" in obj && "configuration" in obj) {
    const c = obj.configuration;
    if (typeof c === "string") return c;
    if (typeof c === "object" && c !== null && typeof (c as { value?: unknown }).value === "string")
      return (c as { value: string }).value;
  }
  for (const value of Object.values(obj)) {
    const found = envoyExampleConfig(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A WasmPlugin's `spec.pluginConfig` as the JSON text Istio hands the filter; undefined when absent. */
export function wasmPluginConfig(document: unknown): string | undefined {
  const spec = (document as { spec?: { pluginConfig?: unknown } } | null)?.spec;
  return spec?.pluginConfig === undefined ? undefined : JSON.stringify(spec.pluginConfig);
}

function exampleConfig(root: string, name: string): { config: string; from: string } | { missing: string } {
  const envoyExample = join("filters", name, "envoy.yaml");
  if (existsSync(join(root, envoyExample))) {
    const config = envoyExampleConfig(parseYaml(readFileSync(join(root, envoyExample), "utf8")));
    if (config !== undefined) return { config, from: envoyExample };
  }
  const plugin = join("manifests/istio/filters/wasm-plugin", `${name}.yaml`);
  if (existsSync(join(root, plugin))) {
    const config = wasmPluginConfig(parseYaml(readFileSync(join(root, plugin), "utf8")));
    if (config !== undefined) return { config, from: plugin };
  }
  return { missing: `no example config (${envoyExample} or ${plugin} pluginConfig)` };
}

/** Decides per filter; `root` is the repository root. */
export function chooseFilters(root: string, names: readonly string[] = SANDBOX_FILTERS): FilterChoice[] {
  return names.map((name) => {
    const wasm = join("build/filters", `${name}.wasm`);
    if (!existsSync(join(root, wasm))) return { name, note: `not built (${wasm} missing)` };
    const example = exampleConfig(root, name);
    if ("missing" in example) return { name, note: example.missing };
    return {
      name,
      note: `config from ${example.from}`,
      spec: {
        name,
        rootId: name,
        wasmPath: join(root, wasm),
        pluginConfig: example.config,
        // The sandbox should show a broken filter, not hide it: Envoy refuses to start and the
        // sandbox retries without it (see startMeshEnvoy).
        failurePolicy: "FAIL_CLOSED",
      },
    };
  });
}
