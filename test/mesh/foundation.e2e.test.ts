// One request through the whole stack: real Envoy (ext_authz over gRPC + the adaptive-lb Wasm
// filter) → Meshward authz server (Rego compiled to Wasm) → sample upstream.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTHZ_NODE_FLAGS } from "../../scripts/lib/authz-node-flags.ts";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

describe("foundation: request through real Envoy, Wasm filter and Rego-in-Wasm authz", () => {
  let upstream: SampleUpstream | undefined;
  let authz: AuthzProcess | undefined;
  let envoy: RunningEnvoy | undefined;
  let base = "";

  beforeAll(async () => {
    upstream = await startSampleUpstream("app");
    authz = await startAuthzProcess();
    envoy = await startEnvoy(
      meshEnvoyConfig({
        upstreams: [{ host: "127.0.0.1", port: upstream.port }],
        extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port: authz.grpcPort } },
        wasmFilters: [
          { name: "adaptive-lb", rootId: "adaptive-lb", wasmPath: join(repoRoot, "build/filters/adaptive-lb.wasm") },
        ],
      }),
    );
    base = `http://127.0.0.1:${envoy.listenerPort}`;
  });

  afterAll(async () => {
    await envoy?.stop();
    await authz?.stop();
    await upstream?.close();
  });

  it("runs the authz server with its production Node flags (the soak's RSS band depends on them)", () => {
    const argv = readFileSync(`/proc/${authz?.process.pid}/cmdline`, "utf8").split("\0");
    expect(AUTHZ_NODE_FLAGS.length).toBeGreaterThan(0);
    expect(argv).toEqual(expect.arrayContaining([...AUTHZ_NODE_FLAGS]));
  });

  it("logs the filter's name, version and git sha at VM start", async () => {
    await envoy?.process.waitForLine(
      /meshward adaptive-lb \d+\.\d+\.\d+ [0-9a-f]{7,}|meshward adaptive-lb \d+\.\d+\.\d+ unknown/,
      10_000,
    );
  });

  it("lets an allowed request reach the upstream and stamps x-meshward", async () => {
    const res = await fetch(`${base}/public/hello?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-meshward")).toMatch(/^adaptive-lb\/\d+\.\d+\.\d+$/);
    const body = (await res.json()) as { upstream: string; path: string };
    expect(body).toMatchObject({ upstream: "app", path: "/public/hello?x=1" });
  });

  it("refuses what the policy denies with 403, before the upstream sees it", async () => {
    const before = upstream?.requests ?? 0;
    const post = await fetch(`${base}/public/hello`, { method: "POST", body: "x" });
    expect(post.status).toBe(403);
    const priv = await fetch(`${base}/private/data`);
    expect(priv.status).toBe(403);
    expect(upstream?.requests).toBe(before);
  });

  it("shows the Wasm VM and ext_authz counters in Envoy's /stats", async () => {
    const stats = (await envoy?.stats()) ?? new Map<string, number>();
    expect(stats.get("http.ingress.ext_authz.ok")).toBeGreaterThanOrEqual(1);
    expect(stats.get("http.ingress.ext_authz.denied")).toBeGreaterThanOrEqual(2);
    expect(stats.get("wasm.envoy.wasm.runtime.v8.created")).toBeGreaterThanOrEqual(1);
    expect(stats.get("wasm.envoy.wasm.runtime.v8.active")).toBeGreaterThanOrEqual(1);
  });
});
