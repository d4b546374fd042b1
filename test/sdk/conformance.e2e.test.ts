// The conformance assertions (conformance-cases.ts) against real Envoy (pinned binary, V8,
// --concurrency 2) running filters/conformance, with a sample upstream behind the route and a
// second one as the http_call cluster. Observed through response headers, local replies, admin
// /stats and Envoy's wasm log lines.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { conformanceCases } from "./conformance-cases.ts";
import { CONFORMANCE_PLUGIN, type ConformanceTarget } from "./conformance-target.ts";
import { sendToEnvoy } from "./envoy-http.ts";

const wasmPath = join(repoRoot, "build/filters/conformance.wasm");

function conformanceConfig(app: SampleUpstream, callout: SampleUpstream, pluginConfig: string) {
  return meshEnvoyConfig({
    upstreams: [{ host: "127.0.0.1", port: app.port }],
    wasmFilters: [
      {
        name: CONFORMANCE_PLUGIN.name,
        rootId: CONFORMANCE_PLUGIN.rootId,
        vmId: CONFORMANCE_PLUGIN.vmId,
        wasmPath,
        pluginConfig,
        vmConfig: CONFORMANCE_PLUGIN.vmConfig,
      },
    ],
    extraClusters: [
      { name: CONFORMANCE_PLUGIN.calloutCluster, endpoints: [{ host: "127.0.0.1", port: callout.port }] },
    ],
  });
}

describe("SDK conformance in real Envoy", () => {
  let app: SampleUpstream | undefined;
  let callout: SampleUpstream | undefined;
  let envoy: RunningEnvoy | undefined;

  beforeAll(async () => {
    app = await startSampleUpstream("app");
    callout = await startSampleUpstream("callout");
    envoy = await startEnvoy(conformanceConfig(app, callout, CONFORMANCE_PLUGIN.pluginConfig), {
      concurrency: 2,
      componentLogLevel: "wasm:info",
    });
  });

  afterAll(async () => {
    await envoy?.stop();
    await app?.close();
    await callout?.close();
  });

  const running = (): RunningEnvoy => {
    if (!envoy) throw new Error("envoy did not start");
    return envoy;
  };
  const target: ConformanceTarget = {
    kind: "envoy",
    request: (req) => sendToEnvoy(running().listenerPort, req),
    async stat(name) {
      const text = await running().adminText("/stats/prometheus");
      const line = text.split("\n").find((l) => l.startsWith(`${name}{} `));
      return line === undefined ? undefined : Number(line.slice(line.indexOf(" ") + 1));
    },
    async logs() {
      const lines = running().process.output().split("\n");
      return lines.flatMap((line) => {
        const m = /wasm log[^:]*: (.*)$/.exec(line);
        return m?.[1] ? [m[1]] : [];
      });
    },
    elapse: (ms) => sleep(ms),
  };
  conformanceCases(() => target);

  it("refuses to start when on_configure rejects the configuration", async () => {
    if (!app || !callout) throw new Error("upstreams did not start");
    const start = startEnvoy(conformanceConfig(app, callout, "reject=yes"), { concurrency: 1, startTimeoutMs: 20_000 });
    await expect(start).rejects.toThrow(/conformance rejects configuration: reject=yes/);
  });
});
