// The traffic-shaper WasmPlugin's pluginConfig, as Istio hands it to the filter (the Struct as JSON
// text), goes through the filter's own strict parser in the Node proxy-wasm host: Envoy would NACK
// a config that on_configure refuses. Then the rules it declares really shape traffic.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { ConfigRejected } from "../host/index.ts";
import { header, ok, startShaper } from "../traffic-shaper/shaper-host.ts";

const manifest = join(repoRoot, "manifests/istio/filters/wasm-plugin/traffic-shaper.yaml");
const plugin = parse(readFileSync(manifest, "utf8")) as { spec: { pluginName: string; pluginConfig: unknown } };

describe("traffic-shaper WasmPlugin pluginConfig", () => {
  it("is accepted by the filter's parser on every worker", () => {
    const host = startShaper(plugin.spec.pluginConfig, 2);
    expect(host.logs.filter((l) => l.message.includes("invalid pluginConfig"))).toEqual([]);
    expect(
      host.logs.some((l) => /configured 2 rule\(s\), concurrency on, 3 priority class\(es\)/.test(l.message)),
    ).toBe(true);
  });

  it("limits per subject on /api/ (burst 50) and throttles flagged callers at 5", () => {
    const host = startShaper(plugin.spec.pluginConfig, 2);
    const send = (subject: string, extra: [string, string][] = []) =>
      host.exchange(
        {
          path: "/api/items",
          headers: [["x-meshward-subject", subject], ["x-meshward-risk-level", "low"], ...extra],
        },
        ok,
      );
    const alice = Array.from({ length: 60 }, () => send("alice").status);
    expect(alice.filter((s) => s === 200)).toHaveLength(50);
    const limited = send("alice");
    expect(limited.status).toBe(429);
    expect(header(limited.headers, "ratelimit-policy")).toBe('"per-subject";q=100;w=1');
    const bob = Array.from({ length: 10 }, () => send("bob", [["x-meshward-action", "throttle"]]).status);
    expect(bob.filter((s) => s === 200)).toHaveLength(5);
  });

  it("would be refused if a field were misspelt (the test can fail)", () => {
    const broken = structuredClone(plugin.spec.pluginConfig) as { concurrency: Record<string, unknown> };
    broken.concurrency.maxLimt = 5;
    expect(() => startShaper(broken, 1)).toThrow(ConfigRejected);
  });
});
