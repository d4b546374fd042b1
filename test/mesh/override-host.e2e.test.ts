// The endpoint-picking mechanism the adaptive-lb filter relies on, checked in real Envoy: the
// override_host LB policy sends a request to the endpoint named in x-gateway-destination-endpoint,
// and falls back to round robin for a host that is not in the cluster.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig, OVERRIDE_HOST_HEADER } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";

describe("Envoy override_host LB policy", () => {
  let upstreams: SampleUpstream[] = [];
  let envoy: RunningEnvoy | undefined;
  const url = () => `http://127.0.0.1:${envoy?.listenerPort}/x`;

  beforeAll(async () => {
    upstreams = await Promise.all(["a", "b", "c"].map((name) => startSampleUpstream(name)));
    envoy = await startEnvoy(
      meshEnvoyConfig({
        upstreams: upstreams.map((u) => ({ host: "127.0.0.1", port: u.port })),
        upstreamLbPolicy: "override-host",
      }),
    );
  });

  afterAll(async () => {
    await envoy?.stop();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  it("routes to the endpoint the header names", async () => {
    const target = upstreams[1] as SampleUpstream;
    const seen = new Set<string | null>();
    for (let i = 0; i < 6; i++) {
      const res = await fetch(url(), { headers: { [OVERRIDE_HOST_HEADER]: `127.0.0.1:${target.port}` } });
      expect(res.status).toBe(200);
      seen.add(res.headers.get("x-upstream"));
    }
    expect([...seen]).toEqual(["b"]);
  });

  it("skips a host outside the cluster and falls back to round robin", async () => {
    const seen = new Set<string | null>();
    for (let i = 0; i < 6; i++) {
      const res = await fetch(url(), { headers: { [OVERRIDE_HOST_HEADER]: "127.0.0.1:1" } });
      expect(res.status).toBe(200);
      seen.add(res.headers.get("x-upstream"));
    }
    expect(seen.size).toBe(3);
  });
});
