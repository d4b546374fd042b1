// Meshward in a real Istio control plane: istiod (built from istio.io/istio with our patch) reads
// Meshward's own manifests and drives stock Envoy as the ingress gateway and, through pilot-agent,
// as the frontend and orders sidecars; pilot-agent pulls the filters `npm run package` built from a
// local OCI registry, checking the digests the manifests pin. `npm run test:istio`.
import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { pinnedWasmDigest, WASM_PLUGIN_FILES } from "../../scripts/package/pinned-digests.ts";
import { ecdsFilters, httpFilterChain, RBAC_TYPE, WASM_TYPE } from "./support/envoy-admin.ts";
import {
  ADDRESS,
  ORDERS_HOST,
  readResources,
  SERVICE_PORT,
  SHOP_HOST,
  toYaml,
  withRegistry,
} from "./support/istio-config.ts";
import { until } from "./support/istio-processes.ts";
import { type Mesh, startMesh } from "./support/mesh.ts";
import { crane } from "./support/registry.ts";

// pilot-agent writes fetched Wasm modules under /var/lib/istio/data, a path compiled into it.
const asRoot = process.getuid?.() === 0;
if (!asRoot)
  console.warn("test:istio: skipped: pilot-agent writes to /var/lib/istio/data, which needs root (CI runs as root)");

let mesh: Mesh;
const gatewayUrl = `http://${ADDRESS.gateway}:${SERVICE_PORT}`;
const ordersUrl = `http://${ADDRESS.orders}:${SERVICE_PORT}`;
const frontendEgressUrl = `http://${ADDRESS.frontend}:${SERVICE_PORT}`;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T>(): T;
}

/** One HTTP/1.1 request with the Host header the mesh routes on (fetch() cannot set Host). */
function request(url: string, init: { host?: string; token?: string; method?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { "user-agent": "istio-e2e/1" };
  if (init.host) headers.host = init.host;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers, agent: false, timeout: 15_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${url}: no answer in 15 s`)));
    req.on("error", reject);
    req.end();
  });
}

const orderGet = async (path = "/api/orders") =>
  request(`${ordersUrl}${path}`, { token: await mesh.idp.token("alice"), host: ORDERS_HOST });

/** `extensions.istio.io/trafficextension/shop.x~istio-translated-wasmplugin` → `shop.x` (as the README writes it). */
const shortName = (filter: string): string => filter.replace(/^extensions\.istio\.io\/[a-z]+\/([^~]+).*$/, "$1");

/** Polls until `probe` holds: config reaches the proxies asynchronously (xDS, then the Wasm fetch). */
const eventually = (what: string, probe: () => Promise<boolean>, timeoutMs = 90_000) => until(what, timeoutMs, probe);

describe.skipIf(!asRoot)("Meshward under a real istiod", () => {
  beforeAll(async () => {
    mesh = await startMesh();
    // Ready when the orders sidecar runs the traffic-shaper pulled from the registry and answers.
    await eventually("orders sidecar serves with its Wasm filter", async () => {
      const wasm = (await ecdsFilters(mesh.ordersSidecar)).some((f) => f.name.includes("meshward-traffic-shaper"));
      return wasm && (await orderGet()).status === 200;
    });
    // And the gateway and the frontend sidecar have their routes and the adaptive-lb filter.
    const token = await mesh.idp.token("alice");
    await eventually("gateway routes to orders", async () => {
      return (await request(`${gatewayUrl}/api/orders`, { host: SHOP_HOST, token })).status === 200;
    });
    await eventually("frontend sidecar routes to orders through adaptive-lb", async () => {
      const lb = (await ecdsFilters(mesh.frontend)).some((f) => f.name.includes("meshward-adaptive-lb"));
      return lb && (await request(`${frontendEgressUrl}/api/orders`, { host: ORDERS_HOST, token })).status === 200;
    });
  }, 600_000);

  afterAll(async () => {
    await mesh?.stop();
  }, 60_000);

  it("istiod loaded Meshward's WasmPlugins (as TrafficExtensions), AuthorizationPolicies and EnvoyFilter", async () => {
    const configz = await (await fetch(`${mesh.istiod.monitoringUrl}/debug/configz`)).text();
    for (const name of [
      "meshward-traffic-shaper",
      "meshward-adaptive-lb",
      "meshward-ext-authz",
      "meshward-ext-authz-http",
      "meshward-orders-override-host",
    ])
      expect(configz).toContain(name);
    expect(configz).toContain("istio-translated-wasmplugin");
  });

  describe("ingress gateway: HTTP ext_authz (provider meshward-http)", () => {
    it("lets through what the authz server allows", async () => {
      const res = await request(`${gatewayUrl}/api/orders`, { host: SHOP_HOST, token: await mesh.idp.token("alice") });
      expect(res.status).toBe(200);
      const body = res.json<{ upstream: string; headers: Record<string, string> }>();
      expect(body.headers["x-meshward-subject"]).toBe("alice");
    });

    it("answers 403 for what the authz server denies, and the upstream never sees it", async () => {
      const before = mesh.orders.requests + mesh.ordersSlow.requests;
      const res = await request(`${gatewayUrl}/private/data`, {
        host: SHOP_HOST,
        token: await mesh.idp.token("alice"),
      });
      expect(res.status).toBe(403);
      expect(res.headers["x-meshward-reason"]).toBeTruthy();
      expect(mesh.orders.requests + mesh.ordersSlow.requests).toBe(before);
    });
  });

  describe("orders sidecar: gRPC ext_authz (provider meshward-grpc) and traffic-shaper", () => {
    it("lets through what the authz server allows, with the verified subject", async () => {
      const res = await orderGet();
      expect(res.status).toBe(200);
      const body = res.json<{ upstream: string; headers: Record<string, string> }>();
      expect(body.upstream).toBe("orders-1");
      expect(body.headers["x-meshward-subject"]).toBe("alice");
    });

    it("answers 403 for what the authz server denies", async () => {
      const before = mesh.orders.requests;
      const res = await orderGet("/private/data");
      expect(res.status).toBe(403);
      expect(mesh.orders.requests).toBe(before);
    });

    it("runs the traffic-shaper pulled from the registry at the digest the manifest pins", async () => {
      const pinned = pinnedWasmDigest(repoRoot, "traffic-shaper");
      expect(mesh.pushed["traffic-shaper-compat"]).toBe(pinned);
      const filter = (await ecdsFilters(mesh.ordersSidecar)).find((f) => f.name.includes("meshward-traffic-shaper"));
      expect(filter?.typed_config["@type"]).toBe(WASM_TYPE);
      const local = filter?.typed_config.config?.vm_config?.code?.local?.filename ?? "";
      expect(local).toContain("/var/lib/istio/data/");
      expect(local).toContain(pinned.replace("sha256:", ""));
    });

    it("answers 429 with RateLimit headers once a subject's burst is spent (per-subject rule)", async () => {
      const token = await mesh.idp.token("bob");
      let limited: Answer | undefined;
      // Burst 50, 100/s refill: a few rounds of 150 concurrent requests must exceed it, even on a
      // loaded machine (bounded: at most 4 rounds).
      for (let round = 0; round < 4 && !limited; round++) {
        const answers = await Promise.all(
          Array.from({ length: 150 }, () => request(`${ordersUrl}/api/orders`, { token, host: ORDERS_HOST })),
        );
        limited = answers.find((r) => r.status === 429);
      }
      expect(limited?.status).toBe(429);
      expect(limited?.headers["ratelimit-policy"]).toContain("per-subject");
      expect(limited?.headers.ratelimit).toBeTruthy();
      expect(Number(limited?.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    });

    it("runs the filters in the order manifests/README.md documents", async () => {
      const documented = [
        "envoy.filters.http.rbac",
        "envoy.filters.http.ext_authz",
        "shop.meshward-traffic-shaper",
        "envoy.filters.http.grpc_stats",
        "envoy.filters.http.fault",
        "envoy.filters.http.cors",
        "envoy.filters.http.router",
      ];
      expect(readFileSync(join(repoRoot, "manifests/README.md"), "utf8")).toContain(documented.join(" → "));
      expect((await httpFilterChain(mesh.ordersSidecar, ADDRESS.orders, SERVICE_PORT)).map(shortName)).toEqual(
        documented,
      );
      expect((await httpFilterChain(mesh.frontend, ADDRESS.frontend, SERVICE_PORT)).map(shortName)[0]).toBe(
        "shop.meshward-adaptive-lb",
      );
    });
  });

  describe("frontend sidecar: adaptive-lb and the override_host cluster", () => {
    it("merged override_host into the orders cluster istiod generated", async () => {
      const dump = JSON.stringify(await mesh.frontend.adminJson("/config_dump?resource=dynamic_active_clusters"));
      expect(dump).toContain("envoy.load_balancing_policies.override_host");
      expect(dump).toContain("x-gateway-destination-endpoint");
    });

    it("steers away from a slowed orders endpoint", async () => {
      mesh.ordersSlow.delayMs = 400;
      const token = await mesh.idp.token("carol");
      const served: string[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await request(`${frontendEgressUrl}/api/orders`, { token, host: ORDERS_HOST });
        if (res.status === 200) served.push(res.json<{ upstream: string }>().upstream);
      }
      mesh.ordersSlow.delayMs = 0;
      const late = served.slice(-20);
      expect(late.length).toBeGreaterThanOrEqual(15);
      // Round robin would give the slow endpoint about half; adaptive-lb learns its latency.
      expect(late.filter((u) => u === "orders-2").length).toBeLessThanOrEqual(4);
      expect(served).toContain("orders-2"); // it was tried, so its latency was learned, not guessed
    });
  });

  describe("WasmPlugin digests checked by pilot-agent (both image variants)", () => {
    const FILE = "pull-check.yaml";
    const plugin = (sha256: string, failStrategy: "FAIL_CLOSE" | "FAIL_OPEN") => {
      const [base] = readResources(WASM_PLUGIN_FILES["traffic-shaper"] as string).map((r) =>
        withRegistry(r, mesh.registry.host),
      );
      const spec = base?.spec as Record<string, unknown>;
      return toYaml([
        {
          ...(base as NonNullable<typeof base>),
          metadata: { name: "meshward-pull-check", namespace: "shop" },
          spec: {
            ...spec,
            url: `oci://${mesh.registry.host}/meshward/traffic-shaper-oci:0.1.0`,
            sha256: sha256.replace("sha256:", ""),
            failStrategy,
            priority: 5,
          },
        },
      ]);
    };
    const pullCheck = async () =>
      (await ecdsFilters(mesh.ordersSidecar)).find((f) => f.name.includes("meshward-pull-check"));

    afterAll(async () => {
      mesh.removeConfig(FILE);
      await eventually("pull-check plugin gone", async () => (await pullCheck()) === undefined).catch(() => undefined);
    });

    it("pulls the OCI-artifact variant when its digest matches", async () => {
      const digest = mesh.pushed["traffic-shaper-oci"] as string;
      mesh.writeConfig(FILE, plugin(digest, "FAIL_CLOSE"));
      await eventually("OCI variant loaded", async () => {
        const f = await pullCheck();
        return f?.typed_config["@type"] === WASM_TYPE && !!f.typed_config.config?.vm_config?.code?.local;
      });
      expect((await orderGet()).status).toBe(200);
    });

    it("refuses a module whose digest does not match: FAIL_CLOSE denies, and the agent says why", async () => {
      const wrong = mesh.pushed["adaptive-lb-oci"] as string;
      mesh.writeConfig(FILE, plugin(wrong, "FAIL_CLOSE"));
      const why = new RegExp(
        `traffic-shaper-oci:0\\.1\\.0 has checksum [0-9a-f]{64}, which does not match: ${wrong.replace("sha256:", "")}`,
      );
      await eventually(
        "the agent refuses the module and puts a deny filter in its place",
        async () =>
          why.test(mesh.ordersSidecar.process.output()) && (await pullCheck())?.typed_config["@type"] === RBAC_TYPE,
      );
      const res = await orderGet();
      expect(res.status).toBe(403);
      expect(res.text).toContain("RBAC");
    });

    it("FAIL_OPEN lets requests pass when the digest does not match", async () => {
      const wrong = mesh.pushed["adaptive-lb-oci"] as string;
      mesh.writeConfig(FILE, plugin(wrong, "FAIL_OPEN"));
      await eventually("requests pass again", async () => (await orderGet()).status === 200);
      expect((await pullCheck())?.typed_config["@type"]).toBe(RBAC_TYPE);
    });
  });

  it("crane copy moves an image to another repository with the same digest (the install guide's mirror step)", () => {
    const from = `${mesh.registry.host}/meshward/traffic-shaper:0.1.0`;
    const to = `${mesh.registry.host}/mirror/traffic-shaper:0.1.0`;
    crane(["copy", from, to]);
    expect(crane(["digest", to])).toBe(pinnedWasmDigest(repoRoot, "traffic-shaper"));
  });

  it("pins in the manifests the digests `npm run package` built and the registry serves", () => {
    for (const filter of Object.keys(WASM_PLUGIN_FILES)) {
      const manifest = parse(readFileSync(join(repoRoot, WASM_PLUGIN_FILES[filter] as string), "utf8"));
      expect(`sha256:${manifest.spec.sha256}`).toBe(mesh.pushed[`${filter}-compat`]);
    }
  });
});
