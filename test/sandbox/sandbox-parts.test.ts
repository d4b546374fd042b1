// The sandbox's own parts: which filters it loads and why not, the traffic generator's bounds (fake
// timer, fake sender), and the control API over real loopback HTTP with real sample upstreams.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { type ControlApi, type ControlTargets, startControlApi } from "../../scripts/sandbox/control-api.ts";
import { chooseFilters, envoyExampleConfig } from "../../scripts/sandbox/filters.ts";
import { MAX_IN_FLIGHT, pickRequest, TRAFFIC_MIX, TrafficGenerator } from "../../scripts/sandbox/traffic.ts";

describe("sandbox filters", () => {
  const root = mkdtempSync(join(tmpdir(), "meshward-sandbox-filters-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("loads a built filter with its Envoy example, else its WasmPlugin pluginConfig, and names what is missing", () => {
    mkdirSync(join(root, "build/filters"), { recursive: true });
    mkdirSync(join(root, "filters/a"), { recursive: true });
    mkdirSync(join(root, "manifests/istio/filters/wasm-plugin"), { recursive: true });
    for (const name of ["a", "b", "c"]) writeFileSync(join(root, "build/filters", `${name}.wasm`), "");
    writeFileSync(
      join(root, "filters/a/envoy.yaml"),
      "static_resources:\n  http_filters:\n    - typed_config:\n        config:\n          vm_config: {}\n          configuration: { value: '{\"x\":1}' }\n",
    );
    writeFileSync(join(root, "manifests/istio/filters/wasm-plugin/b.yaml"), "spec:\n  pluginConfig:\n    rules: []\n");
    const [a, b, c, d] = chooseFilters(root, ["a", "b", "c", "d"]);
    expect(a?.spec?.pluginConfig).toBe('{"x":1}');
    expect(a?.note).toBe("config from filters/a/envoy.yaml");
    expect(b?.spec?.pluginConfig).toBe('{"rules":[]}');
    expect(c?.spec).toBeUndefined();
    expect(c?.note).toMatch(/^no example config/);
    expect(d?.note).toBe("not built (build/filters/d.wasm missing)");
    expect(envoyExampleConfig({ nothing: [1, "two"] })).toBeUndefined();
  });
});

describe("traffic generator", () => {
  it("picks requests by cumulative weight", () => {
    expect(TRAFFIC_MIX.reduce((a, k) => a + k.weight, 0)).toBeCloseTo(1);
    expect(pickRequest(0).path).toBe("/public/items");
    expect(pickRequest(0.999).method).toBe("POST");
    expect(pickRequest(1)).toBe(TRAFFIC_MIX.at(-1)?.request);
  });

  it("refuses non-loopback targets and rates above the cap", () => {
    const base = { ratePerSecond: 10, maxDurationMs: 1000, random: () => 0 };
    expect(() => new TrafficGenerator({ ...base, target: "http://example.com" })).toThrow(/127\.0\.0\.1/);
    expect(() => new TrafficGenerator({ ...base, target: "http://127.0.0.1:1", ratePerSecond: 500 })).toThrow(/rate/);
  });

  it("skips ticks past MAX_IN_FLIGHT, counts answers and stops by itself after maxDurationMs", async () => {
    let now = 0;
    let tick: (() => void) | undefined;
    let cleared = false;
    const pending: ((status: number) => void)[] = [];
    const generator = new TrafficGenerator({
      target: "http://127.0.0.1:1",
      ratePerSecond: 50,
      maxDurationMs: 1000,
      random: () => 0,
      nowMs: () => now,
      setInterval: (fn, ms) => {
        expect(ms).toBe(20);
        tick = fn;
        return 1;
      },
      clearInterval: () => {
        cleared = true;
      },
      send: () => new Promise<number>((resolve) => pending.push(resolve)),
    });
    generator.start();
    for (let i = 0; i < MAX_IN_FLIGHT + 4; i++) tick?.();
    expect(generator.status()).toMatchObject({ running: true, sent: MAX_IN_FLIGHT, skipped: 4 });
    pending.shift()?.(200);
    pending.shift()?.(403);
    await Promise.resolve();
    await Promise.resolve();
    expect(generator.status().answers).toEqual({ "2xx": 1, "4xx": 1 });
    now = 1000;
    tick?.();
    expect(generator.status().running).toBe(false);
    expect(cleared).toBe(true);
  });
});

describe("control API", () => {
  let upstream: SampleUpstream;
  let api: ControlApi;
  let targets: ControlTargets;
  beforeAll(async () => {
    upstream = await startSampleUpstream("sample-app-1");
    targets = { endpoints: [upstream], envoy: { listener: "", adminUrl: "" }, filters: [] };
    api = await startControlApi(targets);
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });
  const post = (path: string, body: string) =>
    fetch(`${api.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("makes an endpoint slow or failing, and the endpoint answers so", async () => {
    expect((await post("/endpoints/sample-app-1", '{"mode":"failing"}')).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${upstream.port}/x`)).status).toBe(503);
    expect((await post("/endpoints/sample-app-1", '{"mode":"slow"}')).status).toBe(200);
    const started = performance.now();
    expect((await fetch(`http://127.0.0.1:${upstream.port}/x`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    const state = (await (await fetch(`${api.url}/state`)).json()) as {
      endpoints: { mode: string; requests: number }[];
    };
    expect(state.endpoints).toEqual([
      { name: "sample-app-1", address: `127.0.0.1:${upstream.port}`, mode: "slow", requests: 2 },
    ]);
  });

  it("refuses bad requests with a message and changes nothing", async () => {
    const before = upstream.delayMs;
    for (const [path, body, message] of [
      ["/endpoints/sample-app-1", '{"mode":"fast"}', /mode must be/],
      ["/endpoints/sample-app-1", "not json", /JSON object/],
      ["/endpoints/nope", '{"mode":"slow"}', /no endpoint named "nope"/],
      ["/endpoints/sample-app-1", JSON.stringify({ mode: "slow", pad: "x".repeat(2000) }), /over 1024 bytes/],
      ["/traffic", '{"running":true}', /Envoy is not up yet/],
    ] as const) {
      const response = await post(path, body);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
    }
    expect(upstream.delayMs).toBe(before);
    expect((await fetch(`${api.url}/nothing`)).status).toBe(404);
  });
});
