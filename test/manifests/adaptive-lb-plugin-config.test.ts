// The adaptive-lb WasmPlugin's pluginConfig is accepted by the filter itself: Istio hands it to
// on_configure as JSON, so it is loaded into the built filter in the Node proxy-wasm host (the
// parser rejects unknown fields and out-of-range values). Its header must be the one the
// override_host LB-policy patch reads, or the pick would be ignored.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { proxyWasmHost } from "../host/index.ts";

const wasmPlugin = parse(
  readFileSync(join(repoRoot, "manifests/istio/filters/wasm-plugin/adaptive-lb.yaml"), "utf8"),
) as {
  spec: { pluginName: string; pluginConfig: Record<string, unknown> };
};
const lbPolicy = readFileSync(join(repoRoot, "manifests/istio/lb-policy/orders-override-host.yaml"), "utf8");

describe("manifests/istio/filters/wasm-plugin/adaptive-lb.yaml pluginConfig", () => {
  it("is accepted by the adaptive-lb filter's on_configure", () => {
    const host = proxyWasmHost(join(repoRoot, "build/filters/adaptive-lb.wasm"))
      .withPlugin(wasmPlugin.spec.pluginName)
      .withConfig(JSON.stringify(wasmPlugin.spec.pluginConfig))
      .withWorkers(1)
      .start();
    const header = String(wasmPlugin.spec.pluginConfig.header);
    expect(host.logs.some((l) => l.message.includes(`configured, header ${header}`))).toBe(true);
    expect(host.logs.some((l) => l.message.includes("rejected"))).toBe(false);
  });

  it("names the header the override_host LB-policy patch reads", () => {
    expect(lbPolicy).toContain(`- header: ${String(wasmPlugin.spec.pluginConfig.header)}`);
  });

  it("would be rejected with a typo (the check can fail)", () => {
    const start = () =>
      proxyWasmHost(join(repoRoot, "build/filters/adaptive-lb.wasm"))
        .withConfig(JSON.stringify({ ...wasmPlugin.spec.pluginConfig, endpointHeader: "x" }))
        .start();
    expect(start).toThrow(/Failed to configure/);
  });
});
