// Faults through real Envoy: a filter config the filter refuses stops Envoy from loading it; a
// trapping filter under failure_policy FAIL_CLOSED / FAIL_OPEN; the authz server killed and
// restarted under failure_mode_allow false / true, with Envoy recovering by itself; and a client's
// own x-gateway-destination-endpoint never reaching the upstream through the adaptive-lb filter.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig, OVERRIDE_HOST_HEADER, type WasmFilterSpec } from "../../scripts/lib/envoy-config.ts";
import { freePort } from "../../scripts/lib/redis.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { fuzzTargets } from "./filters/catalog.ts";
import { Random } from "./random.ts";

const targets = fuzzTargets();
const conformance = targets.find((t) => t.name === "conformance");

async function get(envoy: RunningEnvoy, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${envoy.listenerPort}${path}`, {
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.text() };
}

/** Polls until `probe` is true; returns the time it took, or throws after `timeoutMs`. */
async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await probe().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe("invalid pluginConfig is refused at load", () => {
  const refusing = targets.filter((t) => t.readsConfig && t.profile.invalidConfigs(new Random(1)).length > 0);
  for (const target of refusing) {
    it(`${target.name}: Envoy does not start with a config the filter refuses`, async () => {
      const config = target.profile.invalidConfigs(new Random(1))[0] as string;
      const filter: WasmFilterSpec = {
        name: target.name,
        rootId: target.name,
        wasmPath: target.wasmPath,
        pluginConfig: config,
      };
      const start = startEnvoy(
        meshEnvoyConfig({ upstreams: [{ host: "127.0.0.1", port: 9 }], wasmFilters: [filter] }),
        {
          concurrency: 1,
          startTimeoutMs: 20_000,
        },
      );
      await expect(start).rejects.toThrow(/envoy exited|Unable to create Wasm HTTP filter|Failed to configure/);
    });
  }
});

describe("authz server killed and restarted, and a trapping filter", () => {
  let upstream: SampleUpstream;
  let authz: AuthzProcess | undefined;
  let port = 0;
  const envoys: { closed?: RunningEnvoy; open?: RunningEnvoy } = {};

  const startAuthz = async () => {
    authz = await startAuthzProcess(["--grpc-port", String(port), "--http-port", "0"]);
  };

  beforeAll(async () => {
    upstream = await startSampleUpstream("app");
    port = await freePort();
    await startAuthz();
    const mk = (allow: boolean, policy: "FAIL_CLOSED" | "FAIL_OPEN") =>
      startEnvoy(
        meshEnvoyConfig({
          upstreams: [{ host: "127.0.0.1", port: upstream.port }],
          extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port }, failureModeAllow: allow, timeoutMs: 2000 },
          wasmFilters: conformance
            ? [{ name: "conformance", rootId: "conformance", wasmPath: conformance.wasmPath, failurePolicy: policy }]
            : [],
        }),
        { concurrency: 1 },
      );
    [envoys.closed, envoys.open] = await Promise.all([mk(false, "FAIL_CLOSED"), mk(true, "FAIL_OPEN")]);
  });

  afterAll(async () => {
    await Promise.all([envoys.closed?.stop(), envoys.open?.stop(), authz?.stop()]);
    await upstream?.close();
  });

  it("decides normally while the authz server is up", async () => {
    for (const envoy of [envoys.closed, envoys.open] as RunningEnvoy[]) {
      expect((await get(envoy, "/public/a")).status).toBe(200);
      expect((await get(envoy, "/private")).status).toBe(403);
    }
  });

  it("with the authz server killed: failure_mode_allow=false denies everything, =true allows everything", async () => {
    authz?.process.child.kill("SIGKILL");
    await authz?.stop();
    authz = undefined;
    for (let i = 0; i < 5; i++) {
      expect((await get(envoys.closed as RunningEnvoy, "/public/a")).status).toBe(403);
      expect((await get(envoys.open as RunningEnvoy, "/private")).status).toBe(200);
    }
    const closedStats = await (envoys.closed as RunningEnvoy).stats();
    expect(closedStats.get("http.ingress.ext_authz.error") ?? 0).toBeGreaterThan(0);
    const openStats = await (envoys.open as RunningEnvoy).stats();
    expect(openStats.get("http.ingress.ext_authz.failure_mode_allowed") ?? 0).toBeGreaterThan(0);
  });

  it("recovers by itself once the authz server is back on its port", async () => {
    await startAuthz();
    await until("fail-closed Envoy allowing /public again", 20_000, async () => {
      return (await get(envoys.closed as RunningEnvoy, "/public/a")).status === 200;
    });
    await until("fail-open Envoy denying /private again", 20_000, async () => {
      return (await get(envoys.open as RunningEnvoy, "/private")).status === 403;
    });
  });

  it.skipIf(!conformance)(
    "a trapping filter: FAIL_CLOSED answers 503 from then on, FAIL_OPEN skips the filter",
    async () => {
      const trap = { "x-conf-op": "trap" };
      // The stream the trap happened in fails under both policies (Envoy 1.40 resets it with 503).
      expect((await get(envoys.closed as RunningEnvoy, "/public/t", trap)).status).toBe(503);
      expect((await get(envoys.open as RunningEnvoy, "/public/t", trap)).status).toBe(503);
      for (let i = 0; i < 5; i++) {
        expect((await get(envoys.closed as RunningEnvoy, "/public/after")).status).toBe(503);
        const after = await get(envoys.open as RunningEnvoy, "/public/after");
        expect(after.status).toBe(200);
        const seen = JSON.parse(after.body) as { path: string; headers: Record<string, string> };
        expect(seen.path).toBe("/public/after");
        expect(seen.headers["x-conf-added"]).toBeUndefined(); // the filter did not run
      }
    },
  );
});

describe("override-host steering", () => {
  const lb = targets.find((t) => t.name === "adaptive-lb");
  let upstreams: SampleUpstream[] = [];
  let envoy: RunningEnvoy | undefined;

  // The skeleton adaptive-lb filter reads no config and writes no header yet; the test runs as soon
  // as the filter's glue (which handles on_configure) is built.
  const ready = lb?.readsConfig === true;

  beforeAll(async () => {
    if (!ready || !lb) return;
    upstreams = await Promise.all(["a", "b", "c"].map((n) => startSampleUpstream(n)));
    envoy = await startEnvoy(
      meshEnvoyConfig({
        upstreams: upstreams.map((u) => ({ host: "127.0.0.1", port: u.port })),
        upstreamLbPolicy: "override-host",
        wasmFilters: [
          {
            name: "adaptive-lb",
            rootId: "adaptive-lb",
            wasmPath: lb.wasmPath,
            pluginConfig: JSON.stringify({ endpoints: upstreams.map((u) => `127.0.0.1:${u.port}`) }),
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await envoy?.stop();
    await Promise.all(upstreams.map((u) => u.close()));
  });

  it.skipIf(!ready)("a client-sent x-gateway-destination-endpoint never reaches the upstream", async () => {
    const target = upstreams[1] as SampleUpstream;
    const forged = `127.0.0.1:${target.port},10.66.66.66:6666`;
    for (let i = 0; i < 30; i++) {
      const res = await get(envoy as RunningEnvoy, "/steer", { [OVERRIDE_HOST_HEADER]: forged });
      expect(res.status).toBe(200);
      const seen = (JSON.parse(res.body) as { headers: Record<string, string | undefined> }).headers[
        OVERRIDE_HOST_HEADER
      ];
      expect(seen).not.toBe(forged);
      expect(seen ?? "").not.toContain("10.66.66.66");
    }
  });
});
