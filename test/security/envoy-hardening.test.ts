// Every Envoy configuration Meshward ships or generates normalises paths and does not trust client
// forwarding headers (HARDENED_CONNECTION_MANAGER in scripts/lib/envoy-config.ts says why each
// field is set): the config builder (tests, sandbox, benchmarks, soak), every Envoy YAML or JSON
// in the repository with an HTTP connection manager (found by walking the tree, so a new one is
// covered without being listed here), and the Istio mesh config. What these settings do to
// requests is tested through real Envoy in test/security/path-bypass.e2e.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  directResponseEnvoyConfig,
  HARDENED_CONNECTION_MANAGER,
  meshEnvoyConfig,
} from "../../scripts/lib/envoy-config.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

const HCM_TYPE =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const SKIP = new Set(["node_modules", ".git", ".tools", "build", "schemas"]);

/** Every HttpConnectionManager typed_config inside a parsed document. */
function connectionManagers(node: unknown, found: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(node)) for (const item of node) connectionManagers(item, found);
  else if (node !== null && typeof node === "object") {
    const obj = node as Record<string, unknown>;
    if (obj["@type"] === HCM_TYPE) found.push(obj);
    for (const value of Object.values(obj)) connectionManagers(value, found);
  }
  return found;
}

function envoyFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) envoyFiles(path, out);
    else if (/\.(ya?ml|json)$/.test(entry.name) && readFileSync(path, "utf8").includes("HttpConnectionManager"))
      out.push(path);
  }
  return out;
}

const expectHardened = (hcm: Record<string, unknown>, where: string) =>
  expect(hcm, where).toMatchObject(HARDENED_CONNECTION_MANAGER);

describe("Envoy path and header hardening in every shipped config", () => {
  it("is in every config the builder makes", () => {
    const configs = [
      meshEnvoyConfig({ upstreams: [{ host: "127.0.0.1", port: 1 }] }),
      meshEnvoyConfig({
        upstreams: [{ host: "127.0.0.1", port: 1 }],
        extAuthz: { mode: "http", server: { host: "127.0.0.1", port: 2 } },
        routes: [{ prefix: "/a" }],
      }),
      directResponseEnvoyConfig(),
    ];
    for (const config of configs) {
      const managers = connectionManagers(config);
      expect(managers).toHaveLength(1);
      expectHardened(managers[0] as Record<string, unknown>, "builder");
    }
  });

  it("is in every Envoy YAML/JSON of the repository", () => {
    const files = envoyFiles(repoRoot);
    expect(files.map((f) => relative(repoRoot, f))).toEqual(
      expect.arrayContaining(["filters/adaptive-lb/envoy.yaml", "filters/traffic-shaper/envoy.yaml"]),
    );
    for (const file of files) {
      const documents = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS());
      const managers = connectionManagers(documents);
      expect(managers.length, file).toBeGreaterThan(0);
      for (const hcm of managers) expectHardened(hcm, relative(repoRoot, file));
    }
  });

  it("is in the Istio mesh config: path normalisation and reserved headers seen by the HTTP provider", () => {
    const [values] = parseAllDocuments(
      readFileSync(join(repoRoot, "manifests/istio/mesh-config/istiod-values.yaml"), "utf8"),
    ).map((d) => d.toJS()) as {
      meshConfig: {
        pathNormalization: { normalization: string };
        extensionProviders: { name: string; envoyExtAuthzHttp?: Record<string, string[]> }[];
        defaultConfig: { gatewayTopology: { numTrustedProxies: number } };
      };
    }[];
    const mesh = values?.meshConfig;
    // Istio's ProxyPathNormalization: DEFAULT (= BASE), NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES.
    expect(mesh?.pathNormalization).toEqual({ normalization: "DECODE_AND_MERGE_SLASHES" });
    expect(mesh?.defaultConfig.gatewayTopology.numTrustedProxies).toBe(0);
    const http = mesh?.extensionProviders.find((p) => p.envoyExtAuthzHttp)?.envoyExtAuthzHttp;
    expect(http?.includeRequestHeadersInCheck).toContain("x-meshward-*");
    expect(http?.headersToUpstreamOnAllow).toEqual(["x-meshward-*"]);
  });
});
