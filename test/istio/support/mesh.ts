// The whole e2e mesh on loopback: the local registry with the images `npm run package` built,
// the real authz server (zero-trust bundle, JWTs from a test IdP), the orders app (two endpoints,
// one behind its sidecar, one bare), istiod reading Meshward's manifests, and three proxies
// through pilot-agent: the ingress gateway and the frontend and orders sidecars.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { type AuthzProcess, startAuthzProcess } from "../../../scripts/lib/authz-process.ts";
import { type SampleUpstream, startSampleUpstream } from "../../../scripts/lib/sample-upstream.ts";
import { repoRoot } from "../../../scripts/lib/tools.ts";
import { PACKAGED_FILTERS, wasmImageName } from "../../../scripts/package/names.ts";
import { buildZeroTrust, startIdp, type TestIdp, writeAuthzConfig } from "../../support/zero-trust-stack.ts";
import {
  ADDRESS,
  PROJECT_MANIFESTS,
  projectMeshConfig,
  readResources,
  SERVICE_PORT,
  testOnlyResources,
  toYaml,
  withRegistry,
} from "./istio-config.ts";
import { type Istiod, type IstioProxy, startIstiod, startProxy } from "./istio-processes.ts";
import { type LocalRegistry, startRegistry } from "./registry.ts";

export interface Mesh {
  registry: LocalRegistry;
  /** Digest the registry reports for each pushed image, by image name (build/images/<name>). */
  pushed: Record<string, string>;
  idp: TestIdp;
  authz: AuthzProcess;
  orders: SampleUpstream;
  ordersSlow: SampleUpstream;
  istiod: Istiod;
  gateway: IstioProxy;
  frontend: IstioProxy;
  ordersSidecar: IstioProxy;
  /** Adds (or replaces) a file in istiod's config directory; istiod watches it. */
  writeConfig(file: string, text: string): void;
  removeConfig(file: string): void;
  stop(): Promise<void>;
}

/**
 * The risk e2e's server config (zero-trust bundle, the test IdP's JWTs) with the HTTP check path
 * of the Deployment's config, which the mesh's `meshward-http` provider (`pathPrefix`) calls.
 */
function authzConfig(idp: TestIdp): string {
  const file = writeAuthzConfig({ zeroTrust: buildZeroTrust(), jwksUrl: idp.jwksUrl });
  const deployed = parse(readFileSync(join(repoRoot, "manifests/authz-server/base/config/authz.yaml"), "utf8"));
  const config = JSON.parse(readFileSync(file, "utf8"));
  config.http = { ...config.http, checkPathPrefix: deployed.http.checkPathPrefix };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export async function startMesh(): Promise<Mesh> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const registry = await startRegistry();
    stops.push(registry.stop);
    // Both variants of each filter: the manifests name the compat one as <filter>:<version>, the
    // OCI-artifact one goes to <filter>-oci so both pull paths are exercised.
    const pushed: Record<string, string> = {};
    for (const filter of PACKAGED_FILTERS) {
      pushed[wasmImageName(filter, "compat")] = registry.push(
        wasmImageName(filter, "compat"),
        `meshward/${filter}:0.1.0`,
      );
      pushed[wasmImageName(filter, "oci")] = registry.push(
        wasmImageName(filter, "oci"),
        `meshward/${filter}-oci:0.1.0`,
      );
    }

    const idp = await startIdp();
    stops.push(idp.close);
    const authz = await startAuthzProcess(["--config", authzConfig(idp)]);
    stops.push(authz.stop);
    const orders = await startSampleUpstream("orders-1");
    stops.push(orders.close);
    const ordersSlow = await startSampleUpstream("orders-2", SERVICE_PORT, ADDRESS.ordersSlow);
    stops.push(ordersSlow.close);

    const configDir = mkdtempSync(join(tmpdir(), "meshward-istio-config-"));
    stops.push(async () => rmSync(configDir, { recursive: true, force: true }));
    for (const file of PROJECT_MANIFESTS) {
      const resources = readResources(file).map((r) => withRegistry(r, registry.host));
      writeFileSync(join(configDir, file.replaceAll("/", "_")), toYaml(resources));
    }
    writeFileSync(
      join(configDir, "test-only.yaml"),
      toYaml(testOnlyResources({ authzGrpc: authz.grpcPort, authzHttp: authz.httpPort, ordersApp: orders.port })),
    );
    const istiod = await startIstiod(configDir, projectMeshConfig());
    stops.push(istiod.stop);

    const common = { xdsAddress: istiod.xdsAddress, insecureRegistry: registry.host };
    const [gateway, frontend, ordersSidecar] = await Promise.all([
      startProxy({
        ...common,
        kind: "router",
        name: "ingressgateway-1",
        namespace: "istio-ingress",
        ip: ADDRESS.gateway,
        labels: { istio: "ingressgateway", app: "istio-ingressgateway" },
      }),
      startProxy({
        ...common,
        kind: "sidecar",
        name: "frontend-1",
        namespace: "shop",
        ip: ADDRESS.frontend,
        labels: { app: "frontend" },
      }),
      startProxy({
        ...common,
        kind: "sidecar",
        name: "orders-1",
        namespace: "shop",
        ip: ADDRESS.orders,
        labels: { app: "orders" },
      }),
    ]);
    stops.push(gateway.stop, frontend.stop, ordersSidecar.stop);
    return {
      registry,
      pushed,
      idp,
      authz,
      orders,
      ordersSlow,
      istiod,
      gateway,
      frontend,
      ordersSidecar,
      writeConfig: (file, text) => writeFileSync(join(configDir, file), text),
      removeConfig: (file) => rmSync(join(configDir, file), { force: true }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
