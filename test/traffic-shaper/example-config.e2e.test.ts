// filters/traffic-shaper/envoy.yaml runs in real Envoy as written (only the admin/listener ports
// become 0 and the upstream port points at a test upstream) and its rules shape traffic.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

interface SocketHolder {
  socket_address: { port_value: number };
}

function exampleConfig(upstreamPort: number): Record<string, unknown> {
  const text = readFileSync(join(repoRoot, "filters/traffic-shaper/envoy.yaml"), "utf8");
  const config = parse(text) as {
    admin: { address: SocketHolder };
    static_resources: {
      listeners: { address: SocketHolder }[];
      clusters: { load_assignment: { endpoints: { lb_endpoints: { endpoint: { address: SocketHolder } }[] }[] } }[];
    };
  };
  config.admin.address.socket_address.port_value = 0;
  for (const l of config.static_resources.listeners) l.address.socket_address.port_value = 0;
  const endpoint = config.static_resources.clusters[0]?.load_assignment.endpoints[0]?.lb_endpoints[0];
  if (!endpoint) throw new Error("envoy.yaml: no upstream endpoint");
  endpoint.endpoint.address.socket_address.port_value = upstreamPort;
  return config as unknown as Record<string, unknown>;
}

describe("filters/traffic-shaper/envoy.yaml in real Envoy", () => {
  let upstream: SampleUpstream | undefined;
  let envoy: RunningEnvoy | undefined;

  beforeAll(async () => {
    upstream = await startSampleUpstream("app");
    // The example names the filter by a path relative to the repository root, where tests run.
    envoy = await startEnvoy(exampleConfig(upstream.port), { concurrency: 2 });
  });

  afterAll(async () => {
    await envoy?.stop();
    await upstream?.close();
  });

  it("limits per subject on /api/ with RateLimit headers on every response", async () => {
    const url = `http://127.0.0.1:${envoy?.listenerPort}/api/items`;
    const send = async (subject: string) => {
      const res = await fetch(url, { headers: { "x-meshward-subject": subject, "x-meshward-risk-level": "low" } });
      await res.arrayBuffer();
      return res;
    };
    const first = await send("alice");
    expect(first.status).toBe(200);
    expect(first.headers.get("ratelimit")).toMatch(/^"per-subject";r=4;t=1$/);
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await send("alice")).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect((await send("bob")).status).toBe(200); // another subject, another bucket
    const stats = await envoy?.stats();
    expect(stats?.get("wasmcustom.meshward.traffic_shaper.rule.per-subject.limited")).toBeGreaterThanOrEqual(3);
    expect(stats?.get("wasmcustom.meshward.traffic_shaper.in_flight")).toBe(0);
  });
});
