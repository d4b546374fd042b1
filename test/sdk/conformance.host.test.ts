// The conformance assertions (conformance-cases.ts) against the Node proxy-wasm host.
import { beforeAll, describe } from "vitest";
import type { ProxyWasmHost } from "../host/index.ts";
import { conformanceCases } from "./conformance-cases.ts";
import { sampleUpstreamReply, startConformanceHost } from "./conformance-host.ts";
import type { ConformanceTarget } from "./conformance-target.ts";

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
      return host.prometheusStats().get(name);
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
