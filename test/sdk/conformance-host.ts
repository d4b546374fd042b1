// The conformance filter loaded in the Node host exactly as the Envoy e2e loads it (same plugin
// name, configs, worker count, callout cluster), behind an upstream that answers like
// scripts/lib/sample-upstream.ts.
import { join } from "node:path";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { type Pair, type ProxyWasmHost, proxyWasmHost, type UpstreamRequest } from "../host/index.ts";
import { CONFORMANCE_PLUGIN } from "./conformance-target.ts";

/** Answers like scripts/lib/sample-upstream.ts: JSON naming itself and echoing the request. */
export function sampleUpstreamReply(name: string, req: UpstreamRequest) {
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers)
    if (!k.startsWith(":")) headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  const path = req.headers.find(([k]) => k === ":path")?.[1];
  const method = req.headers.find(([k]) => k === ":method")?.[1];
  return {
    status: 200,
    headers: [
      ["content-type", "application/json"],
      ["x-upstream", name],
    ] as Pair[],
    body: JSON.stringify({ upstream: name, method, path, headers }),
  };
}

export function startConformanceHost(): ProxyWasmHost {
  return proxyWasmHost(join(repoRoot, "build/filters/conformance.wasm"))
    .withPlugin(CONFORMANCE_PLUGIN.name, CONFORMANCE_PLUGIN.rootId, CONFORMANCE_PLUGIN.vmId)
    .withConfig(CONFORMANCE_PLUGIN.pluginConfig)
    .withVmConfig(CONFORMANCE_PLUGIN.vmConfig)
    .withWorkers(2)
    .withLogLevel(2)
    .withCluster("upstream", CONFORMANCE_PLUGIN.calloutCluster)
    .withHttpCallResponder((call) => {
      const reply = sampleUpstreamReply("callout", { headers: call.headers, body: call.body });
      return { headers: [[":status", String(reply.status)], ...reply.headers], body: reply.body };
    })
    .start();
}
