// The conformance assertions (conformance-cases.ts) against the Node proxy-wasm host.
import { join } from "node:path";
import { beforeAll, describe } from "vitest";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { type Pair, type ProxyWasmHost, proxyWasmHost, type UpstreamRequest } from "../host/index.ts";
import { conformanceCases } from "./conformance-cases.ts";
import { CONFORMANCE_PLUGIN, type ConformanceTarget } from "./conformance-target.ts";

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

describe("SDK conformance in the Node proxy-wasm host", () => {
  let host: ProxyWasmHost;
  beforeAll(() => {
    host = startConformanceHost();
  });
  const target: ConformanceTarget = {
    kind: "node-host",
    async request(req) {
      const result = host.exchange(
        { method: req.method, path: req.path, headers: req.headers, body: req.body, authority: "127.0.0.1" },
        (up) => sampleUpstreamReply("app", up),
      );
      return {
        answered: !result.reset,
        status: result.status,
        headers: result.headers,
        body: Buffer.from(result.body).toString("utf8"),
      };
    },
    async stat(name) {
      return host.stats().get(name);
    },
    async logs() {
      return host.logs.map((l) => l.message);
    },
    async elapse(ms) {
      host.advance(ms);
    },
  };
  conformanceCases(() => target);
});
