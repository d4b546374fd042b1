// What istiod reads from its config directory in the e2e: Meshward's own manifests, read from
// manifests/ unchanged except for the image registry (what the install guide has you set), and the
// test-only resources a cluster would otherwise provide: services and endpoints on loopback
// (ServiceEntry + WorkloadEntry), sidecars without iptables (Sidecar, captureMode NONE, each proxy
// bound to its own 127.0.0.x), a gateway, and mTLS off (no CA here).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { repoRoot } from "../../../scripts/lib/tools.ts";

/** Each proxy and endpoint has its own loopback address, so every listener can use port 8080. */
export const ADDRESS = {
  frontend: "127.0.0.17",
  orders: "127.0.0.18",
  /** A second orders endpoint (no sidecar): the slowed one adaptive-lb should steer away from. */
  ordersSlow: "127.0.0.19",
  gateway: "127.0.0.20",
} as const;
export const SERVICE_PORT = 8080;
export const SHOP_HOST = "shop.example.com";
export const ORDERS_HOST = "orders.shop.svc.cluster.local";

/** The project's manifests istiod reads, as in a cluster (kustomization files are not resources). */
export const PROJECT_MANIFESTS = [
  "manifests/istio/filters/wasm-plugin/traffic-shaper.yaml",
  "manifests/istio/filters/wasm-plugin/adaptive-lb.yaml",
  "manifests/istio/authz/orders-ext-authz.yaml",
  "manifests/istio/authz/ingress-ext-authz.yaml",
  "manifests/istio/lb-policy/orders-override-host.yaml",
];

type Resource = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

export function readResources(file: string): Resource[] {
  return parseAllDocuments(readFileSync(join(repoRoot, file), "utf8")).map((d) => d.toJS() as Resource);
}

/** `oci://ghcr.io/meshward/x:tag` → `oci://<registry>/meshward/x:tag`: the install guide's one edit. */
export function withRegistry(resource: Resource, registry: string): Resource {
  const spec = resource.spec as { url?: string } | undefined;
  if (resource.kind !== "WasmPlugin" || !spec?.url) return resource;
  return { ...resource, spec: { ...spec, url: spec.url.replace(/^oci:\/\/[^/]+\//, `oci://${registry}/`) } };
}

export const toYaml = (resources: Resource[]): string => resources.map((r) => stringify(r)).join("---\n");

export interface MeshPorts {
  authzGrpc: number;
  authzHttp: number;
  ordersApp: number;
}

const serviceEntry = (name: string, namespace: string, host: string, ports: object[], app: string): Resource => ({
  apiVersion: "networking.istio.io/v1",
  kind: "ServiceEntry",
  metadata: { name, namespace },
  spec: {
    hosts: [host],
    location: "MESH_INTERNAL",
    resolution: "STATIC",
    ports,
    workloadSelector: { labels: { app } },
  },
});

const workloadEntry = (
  name: string,
  namespace: string,
  address: string,
  app: string,
  ports?: Record<string, number>,
): Resource => ({
  apiVersion: "networking.istio.io/v1",
  kind: "WorkloadEntry",
  metadata: { name, namespace },
  spec: { address, labels: { app }, serviceAccount: app, ...(ports ? { ports } : {}) },
});

export function testOnlyResources(ports: MeshPorts): Resource[] {
  const http = { number: SERVICE_PORT, name: "http", protocol: "HTTP" };
  return [
    {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "istio-system" },
      spec: { mtls: { mode: "DISABLE" } },
    },
    // The authz server: the host and ports meshConfig's extensionProviders name, on loopback.
    serviceEntry(
      "meshward-authz",
      "meshward-system",
      "meshward-authz.meshward-system.svc.cluster.local",
      [
        { number: 9001, name: "grpc-authz", protocol: "GRPC" },
        { number: 8080, name: "http", protocol: "HTTP" },
      ],
      "meshward-authz",
    ),
    workloadEntry("meshward-authz", "meshward-system", "127.0.0.1", "meshward-authz", {
      "grpc-authz": ports.authzGrpc,
      http: ports.authzHttp,
    }),
    serviceEntry("orders", "shop", ORDERS_HOST, [http], "orders"),
    workloadEntry("orders-1", "shop", ADDRESS.orders, "orders"),
    workloadEntry("orders-2", "shop", ADDRESS.ordersSlow, "orders"),
    // Inbound on orders: the sidecar listens on its address, the app on a kernel-chosen port.
    {
      apiVersion: "networking.istio.io/v1",
      kind: "Sidecar",
      metadata: { name: "orders", namespace: "shop" },
      spec: {
        workloadSelector: { labels: { app: "orders" } },
        ingress: [
          { port: http, bind: ADDRESS.orders, captureMode: "NONE", defaultEndpoint: `127.0.0.1:${ports.ordersApp}` },
        ],
        // The authz server's service must be in the sidecar's scope for the ext_authz cluster;
        // an egress listener needs a port and, without iptables, an address of its own.
        egress: [
          {
            port: { number: 9001, name: "grpc", protocol: "GRPC" },
            bind: ADDRESS.orders,
            captureMode: "NONE",
            hosts: ["meshward-system/*"],
          },
        ],
      },
    },
    // Outbound from frontend: the app calls orders through its sidecar's listener.
    {
      apiVersion: "networking.istio.io/v1",
      kind: "Sidecar",
      metadata: { name: "frontend", namespace: "shop" },
      spec: {
        workloadSelector: { labels: { app: "frontend" } },
        egress: [{ port: http, bind: ADDRESS.frontend, captureMode: "NONE", hosts: ["shop/*", "meshward-system/*"] }],
      },
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "Gateway",
      metadata: { name: "shop", namespace: "istio-ingress" },
      spec: {
        selector: { istio: "ingressgateway" },
        servers: [{ port: http, bind: ADDRESS.gateway, hosts: [SHOP_HOST] }],
      },
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "shop", namespace: "istio-ingress" },
      spec: {
        hosts: [SHOP_HOST],
        gateways: ["shop"],
        http: [{ route: [{ destination: { host: ORDERS_HOST, port: { number: SERVICE_PORT } } }] }],
      },
    },
  ];
}

/** meshConfig of manifests/istio/mesh-config/istiod-values.yaml, the block a Helm install passes to istiod. */
export function projectMeshConfig(): Record<string, unknown> {
  const values = readResources("manifests/istio/mesh-config/istiod-values.yaml")[0] as unknown as {
    meshConfig: Record<string, unknown>;
  };
  return values.meshConfig;
}
