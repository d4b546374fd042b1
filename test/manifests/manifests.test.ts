// Every manifest under manifests/ parsed and validated: Kubernetes kinds with kubernetes-models
// (plus undeclared-field detection), Istio and prometheus-operator kinds against the vendored CRD
// schemas, mesh config
// against Istio's config.proto, the load-balancing patch by real Envoy (--mode validate). Every
// kustomization is rendered with `kubectl kustomize` and its output validated the same way, and
// the files are checked against each other (provider names, ports, the TrafficExtension copy).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IService } from "kubernetes-models/v1/Service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { AUTHZ_NODE_FLAGS } from "../../scripts/lib/authz-node-flags.ts";
import { envoyBinary, repoRoot } from "../../scripts/lib/tools.ts";
import { extAuthzProviderSchema, jsPattern, crdSchemas as vendoredCrdSchemas } from "./support/istio-schemas.ts";
import { isBuiltinKind, type KubeObject, undeclaredFields, validateBuiltin } from "./support/kubernetes-kinds.ts";

/** The Istio fields the cross-checks read (the schemas validate the rest). */
interface WasmPluginShape extends KubeObject {
  metadata: { name: string };
  spec: {
    selector?: unknown;
    match?: unknown;
    phase: string;
    priority: number;
    type: string;
    url: string;
    sha256: string;
    failStrategy: string;
    pluginConfig: Record<string, unknown>;
    [field: string]: unknown;
  };
}

interface ExtAuthzProvider {
  name: string;
  envoyExtAuthzGrpc?: { service: string; port: number; failOpen: boolean };
  envoyExtAuthzHttp?: { service: string; port: number; failOpen: boolean };
}

interface LbPolicy {
  policies: { typed_extension_config: { typed_config: Record<string, unknown> } }[];
}

const MANIFESTS = join(repoRoot, "manifests");
/** Files that are not Kubernetes objects: Kustomize inputs and patches, server config, Helm values,
 *  the Prometheus rule file. */
const NOT_OBJECTS = [
  /prometheus\/meshward-rules\.yaml$/,
  /kustomization\.yaml$/,
  /\/patches\//,
  /\/copy-[\w-]+\.yaml$/,
  /\/config\/authz\.yaml$/,
  /istiod-values\.yaml$/,
];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "schemas" ? [] : yamlFiles(path);
    return name.endsWith(".yaml") ? [path] : [];
  });
}

/** Parses every document; YAML errors (duplicate keys included) fail with the file named. */
function parseYaml(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, "utf8"), { uniqueKeys: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${relative(repoRoot, path)}: ${doc.errors[0]?.message}`);
    return doc.toJS();
  });
}

/** Kustomize writes ConfigMap binaryData as base64 wrapped over several lines; the API server's
 *  decoder (Go encoding/base64) ignores the newlines, the package's "byte" format check does not. */
function unwrapBinaryData(object: KubeObject): KubeObject {
  const binary = object.binaryData as Record<string, string> | undefined;
  if (object.kind !== "ConfigMap" || !binary) return object;
  const unwrapped = Object.fromEntries(Object.entries(binary).map(([k, v]) => [k, v.replace(/\s+/g, "")]));
  return { ...object, binaryData: unwrapped };
}

const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
// CI machines ship kubectl (the polyglot image has it): there a missing kubectl is a failure, not a skip.
if (!kubectl && process.env.CI) throw new Error("kubectl is required in CI to render the kustomizations");

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const crdSchemas = vendoredCrdSchemas();
const crdValidators = new Map<string, ValidateFunction>();

function describeErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`)
    .join("; ");
}

/** Validates one object of any kind Meshward ships; throws with the path of the first problem. */
async function validateObject(object: KubeObject, label: string): Promise<void> {
  if (isBuiltinKind(object)) return validateBuiltin(object);
  const key = `${object.apiVersion}/${object.kind}`;
  const schema = crdSchemas.get(key);
  if (!schema) throw new Error(`${label}: no schema for ${key}`);
  let validate = crdValidators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    crdValidators.set(key, validate);
  }
  if (!validate(object)) throw new Error(`${label}: ${describeErrors(validate)}`);
}

describe("manifests", () => {
  const sourceObjects: { label: string; object: KubeObject }[] = [];
  const rendered = new Map<string, KubeObject[]>();
  let work = "";

  beforeAll(() => {
    for (const file of yamlFiles(MANIFESTS)) {
      const docs = parseYaml(file);
      if (NOT_OBJECTS.some((re) => re.test(file))) continue;
      for (const doc of docs) sourceObjects.push({ label: relative(repoRoot, file), object: doc as KubeObject });
    }
    // Render from a copy, so that a missing staged bundle can be stood in for without touching
    // the working tree (its bytes do not matter to the rendering).
    work = mkdtempSync(join(tmpdir(), "meshward-manifests-"));
    cpSync(MANIFESTS, join(work, "manifests"), { recursive: true });
    const staged = join(work, "manifests/authz-server/base/policy-bundle");
    for (const name of ["bundle.tar.gz", "verification-key.pem"]) {
      if (!existsSync(join(staged, name))) writeFileSync(join(staged, name), "placeholder");
    }
    if (!kubectl) return;
    for (const file of yamlFiles(join(work, "manifests"))) {
      if (!file.endsWith("/kustomization.yaml")) continue;
      if ((parseYaml(file)[0] as { kind?: string }).kind === "Component") continue;
      const dir = dirname(file);
      const r = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`kubectl kustomize ${relative(work, dir)}: ${r.stderr}`);
      const objects = parseAllDocuments(r.stdout).map((d) => unwrapBinaryData(d.toJS() as KubeObject));
      rendered.set(relative(join(work, "manifests"), dir), objects);
    }
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("parses every file and finds the resources the docs promise", () => {
    const kinds = new Set(sourceObjects.map((o) => o.object.kind));
    for (const kind of [
      "Namespace",
      "ServiceAccount",
      "Deployment",
      "Service",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "NetworkPolicy",
      "AuthorizationPolicy",
      "WasmPlugin",
      "TrafficExtension",
      "EnvoyFilter",
      "ServiceMonitor",
      "PodMonitor",
      "PrometheusRule",
    ]) {
      expect(kinds, kind).toContain(kind);
    }
  });

  it("validates every source object against its Kubernetes or Istio schema", async () => {
    for (const { label, object } of sourceObjects) {
      // A TrafficExtension source holds only what is not copied from its WasmPlugin; its complete
      // form is validated after rendering.
      if (object.kind === "TrafficExtension") continue;
      await validateObject(object, label);
    }
  });

  it("declares no field the Kubernetes types do not have", () => {
    expect(undeclaredFields(sourceObjects)).toEqual([]);
  });

  it.skipIf(!kubectl)("renders every kustomization and validates what comes out", async () => {
    expect([...rendered.keys()].sort()).toEqual([
      "authz-server/base",
      "authz-server/overlays/dev",
      "authz-server/overlays/production",
      "istio/authz",
      "istio/filters/traffic-extension",
      "istio/filters/traffic-extension/derive",
      "istio/filters/wasm-plugin",
      "istio/lb-policy",
      "prometheus",
    ]);
    const all = [...rendered].flatMap(([dir, objects]) =>
      objects.map((object) => ({ label: `${dir}: ${object.kind}/${object.metadata?.name}`, object })),
    );
    for (const { label, object } of all) await validateObject(object, label);
    // One type-check for everything: each TypeScript program costs about a second.
    expect(undeclaredFields(all)).toEqual([]);
  });

  it.skipIf(!kubectl)("overlays: dev runs one replica, production adds Redis and spreads over zones", () => {
    const find = <T>(dir: string, kind: string, name: string) =>
      rendered.get(dir)?.find((o) => o.kind === kind && o.metadata?.name === name) as T | undefined;
    expect(find<IDeployment>("authz-server/overlays/dev", "Deployment", "meshward-authz")?.spec?.replicas).toBe(1);
    expect(find("authz-server/overlays/dev", "Deployment", "meshward-redis")).toBeUndefined();
    const prod = find<IDeployment>("authz-server/overlays/production", "Deployment", "meshward-authz");
    expect(prod?.spec?.template.spec?.containers[0]?.env).toContainEqual({
      name: "MESHWARD_AUTHZ_RISK_REDIS_URL",
      value: "redis://meshward-redis:6379/0",
    });
    expect(find("authz-server/overlays/production", "Deployment", "meshward-redis")).toBeDefined();
    const egress = find<INetworkPolicy>("authz-server/overlays/production", "NetworkPolicy", "meshward-authz")?.spec
      ?.egress;
    expect(egress).toContainEqual(expect.objectContaining({ ports: [{ port: 6379, protocol: "TCP" }] }));
    // The generated ConfigMaps carry a content hash and the Deployment refers to exactly those.
    const volumes = prod?.spec?.template.spec?.volumes?.map((v) => v.configMap?.name).filter(Boolean) ?? [];
    const configMaps = rendered
      .get("authz-server/overlays/production")
      ?.filter((o) => o.kind === "ConfigMap")
      .map((o) => o.metadata?.name);
    expect(volumes.sort()).toEqual(configMaps?.sort());
  });

  it("hardens the authz Deployment and wires probes, ports and names together", () => {
    const of = <T>(kind: string) =>
      sourceObjects.find((o) => o.object.kind === kind && o.label.includes("base/"))?.object as T;
    const deployment = of<IDeployment>("Deployment");
    const pod = deployment.spec?.template.spec;
    const container = pod?.containers[0];
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(container?.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container?.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(container?.resources?.requests).toBeDefined();
    expect(container?.resources?.limits?.memory).toBeDefined();
    // The heap flags the soak and every local harness run the server with (scripts/lib/authz-node-flags.ts).
    expect(container?.env?.find((e) => e.name === "NODE_OPTIONS")?.value).toBe(AUTHZ_NODE_FLAGS.join(" "));
    const portNames = container?.ports?.map((p) => p.name);
    const servicePorts = of<IService>("Service").spec?.ports ?? [];
    for (const port of servicePorts) expect(portNames).toContain(port.targetPort);
    expect(servicePorts.map((p) => p.port).sort()).toEqual([8080, 9001]);
    const selector = deployment.spec?.selector.matchLabels;
    expect(of<IPodDisruptionBudget>("PodDisruptionBudget").spec?.selector?.matchLabels).toEqual(selector);
    expect(of<INetworkPolicy>("NetworkPolicy").spec?.podSelector?.matchLabels).toEqual(selector);
    expect(of<IHorizontalPodAutoscaler>("HorizontalPodAutoscaler").spec?.scaleTargetRef.name).toBe(
      deployment.metadata?.name,
    );
  });

  it("mesh config: ext_authz providers match config.proto and point at the authz Service", () => {
    const values = parseYaml(join(MANIFESTS, "istio/mesh-config/istiod-values.yaml"))[0] as {
      meshConfig: { extensionProviders: ExtAuthzProvider[] };
    };
    const providers = values.meshConfig.extensionProviders;
    const validate = ajv.compile(extAuthzProviderSchema());
    for (const provider of providers) {
      expect(validate(provider), `${provider.name}: ${describeErrors(validate)}`).toBe(true);
    }
    expect(providers.map((p) => Object.keys(p).find((k) => k !== "name")).sort()).toEqual([
      "envoyExtAuthzGrpc",
      "envoyExtAuthzHttp",
    ]);
    const service = sourceObjects.find((o) => o.object.kind === "Service" && o.label.includes("authz-server/base"))
      ?.object as IService;
    const namespace = sourceObjects.find((o) => o.object.kind === "Namespace")?.object.metadata?.name;
    const host = `${service.metadata?.name}.${namespace}.svc.cluster.local`;
    const ports = service.spec?.ports?.map((p) => p.port);
    for (const provider of providers) {
      const config = provider.envoyExtAuthzGrpc ?? provider.envoyExtAuthzHttp;
      expect(config?.service).toBe(host);
      expect(ports).toContain(config?.port);
      expect(config?.failOpen).toBe(false);
    }
    // Every CUSTOM AuthorizationPolicy names a provider that exists.
    const names = providers.map((p) => p.name);
    const custom = sourceObjects.filter((o) => o.object.kind === "AuthorizationPolicy");
    expect(custom.length).toBeGreaterThan(0);
    for (const { object } of custom) {
      const spec = object.spec as { action: string; provider: { name: string } };
      expect(spec.action).toBe("CUSTOM");
      expect(names).toContain(spec.provider.name);
    }
  });

  it("WasmPlugins: phase, priority, failStrategy, pluginConfig, url and sha256 set; shaper runs before adaptive-lb", () => {
    const plugins = sourceObjects.filter((o) => o.object.kind === "WasmPlugin").map((o) => o.object as WasmPluginShape);
    expect(plugins.map((p) => p.metadata.name).sort()).toEqual(["meshward-adaptive-lb", "meshward-traffic-shaper"]);
    for (const p of plugins) {
      expect(p.spec).toMatchObject({ phase: "STATS", type: "HTTP" });
      expect(p.spec.failStrategy).toMatch(/^FAIL_(OPEN|CLOSE|RELOAD)$/);
      expect(p.spec.url).toMatch(/^oci:\/\//);
      expect(p.spec.sha256).toMatch(/^[a-f0-9]{64}$/);
      expect(Object.keys(p.spec.pluginConfig).length).toBeGreaterThan(0);
    }
    const priority = (name: string) => plugins.find((p) => p.metadata.name === name)?.spec.priority;
    expect(priority("meshward-traffic-shaper")).toBeGreaterThan(
      priority("meshward-adaptive-lb") ?? Number.POSITIVE_INFINITY,
    );
  });

  it.skipIf(!kubectl)("TrafficExtensions carry exactly their WasmPlugin's settings and pass Istio's CEL rules", () => {
    const plugins = rendered
      .get("istio/filters/wasm-plugin")
      ?.filter((o) => o.kind === "WasmPlugin") as WasmPluginShape[];
    const extensions = (rendered.get("istio/filters/traffic-extension") ?? []) as (KubeObject & {
      spec: Record<string, unknown>;
    })[];
    expect(extensions.filter((o) => o.kind === "WasmPlugin")).toEqual([]);
    expect(extensions.filter((o) => o.kind === "EnvoyFilter")).toHaveLength(1);
    for (const plugin of plugins) {
      const ext = extensions.find((o) => o.kind === "TrafficExtension" && o.metadata?.name === plugin.metadata.name);
      expect(ext, plugin.metadata.name).toBeDefined();
      const { selector, match, phase, priority, ...wasm } = plugin.spec;
      expect(ext?.spec).toEqual({ selector, match, phase, priority, wasm });
      // CEL rules of the CRD (x-kubernetes-validations), which JSON Schema cannot express.
      const spec = ext?.spec ?? {};
      expect("wasm" in spec !== "lua" in spec, "exactly one of wasm or lua").toBe(true);
      expect(("selector" in spec ? 1 : 0) + ("targetRefs" in spec ? 1 : 0)).toBeLessThanOrEqual(1);
    }
  });

  it("the override_host load-balancing patch is accepted by real Envoy", () => {
    const filter = sourceObjects.find((o) => o.object.kind === "EnvoyFilter")?.object as KubeObject & {
      spec: { configPatches: { applyTo: string; patch: { value: { load_balancing_policy: LbPolicy } } }[] };
    };
    const patch = filter.spec.configPatches[0];
    expect(patch?.applyTo).toBe("CLUSTER");
    const policy = patch?.patch.value.load_balancing_policy as LbPolicy;
    const config = (lbPolicy: unknown) => ({
      static_resources: {
        clusters: [
          {
            name: "orders",
            type: "STATIC",
            connect_timeout: "1s",
            load_balancing_policy: lbPolicy,
            load_assignment: {
              cluster_name: "orders",
              endpoints: [
                {
                  lb_endpoints: [
                    { endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 8080 } } } },
                  ],
                },
              ],
            },
          },
        ],
      },
    });
    const validate = (lbPolicy: unknown) => {
      const file = join(work, `lb-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(config(lbPolicy)));
      return spawnSync(envoyBinary(), ["--mode", "validate", "-c", file], { encoding: "utf8" });
    };
    const ok = validate(policy);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    const typed = policy.policies[0]?.typed_extension_config.typed_config;
    expect(typed?.override_host_sources).toEqual([{ header: "x-gateway-destination-endpoint" }]);
    // Control: the same check refuses a misspelt field, so the pass above means something.
    const broken = structuredClone(policy);
    const brokenTyped = broken.policies[0]?.typed_extension_config.typed_config ?? {};
    brokenTyped.override_host_sourcez = [];
    const bad = validate(broken);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/override_host_sourcez/);
  });

  it("monitors: the ServiceMonitor scrapes the authz Service's metrics port, the PodMonitor Envoy's", () => {
    const find = (kind: string) =>
      sourceObjects.find((o) => o.object.kind === kind)?.object as KubeObject & {
        spec: Record<string, unknown>;
      };
    const service = sourceObjects.find((o) => o.object.kind === "Service" && o.label.includes("authz-server/base"))
      ?.object as IService;
    const namespace = sourceObjects.find((o) => o.object.kind === "Namespace")?.object.metadata?.name;
    const monitor = find("ServiceMonitor").spec as {
      selector: { matchLabels: Record<string, string> };
      namespaceSelector: { matchNames: string[] };
      endpoints: { port: string; path: string }[];
    };
    for (const [k, v] of Object.entries(monitor.selector.matchLabels)) expect(service.metadata?.labels?.[k]).toBe(v);
    expect(monitor.namespaceSelector.matchNames).toEqual([namespace]);
    expect(service.spec?.ports?.map((p) => p.name)).toContain(monitor.endpoints[0]?.port);
    expect(monitor.endpoints[0]?.path).toBe("/metrics");
    // The rules' MeshwardAuthzDown selects job="meshward-authz": prometheus-operator's job is the Service name.
    expect(service.metadata?.name).toBe("meshward-authz");
    const pods = find("PodMonitor").spec as { podMetricsEndpoints: { port: string; path: string }[] };
    expect(pods.podMetricsEndpoints[0]).toMatchObject({ port: "http-envoy-prom", path: "/stats/prometheus" });
  });

  it("the validators reject broken objects (controls)", async () => {
    const pick = <T>(kind: string) => structuredClone(sourceObjects.find((o) => o.object.kind === kind)?.object) as T;
    const plugin = pick<WasmPluginShape>("WasmPlugin");
    plugin.spec.failStrategy = "FAIL_SOMETIMES";
    await expect(validateObject(plugin, "control")).rejects.toThrow(/failStrategy/);
    const misspelt = pick<KubeObject & { spec: Record<string, unknown> }>("AuthorizationPolicy");
    misspelt.spec.acton = "CUSTOM";
    await expect(validateObject(misspelt, "control")).rejects.toThrow(/"additionalProperty":"acton"/);
    const deployment = pick<KubeObject & { spec: Record<string, unknown> }>("Deployment");
    deployment.spec.replicas = "two";
    await expect(validateObject(deployment, "control")).rejects.toThrow(/replicas/);
    const typo = pick<KubeObject & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }>(
      "Deployment",
    );
    const container = typo.spec.template.spec.containers[0] ?? {};
    container.readinesProbe = {};
    expect(undeclaredFields([{ label: "control", object: typo }]).join("\n")).toMatch(/readinesProbe/);
    const podMonitor = pick<KubeObject & { spec: { podMetricsEndpoints: { metricRelabelings: unknown[] }[] } }>(
      "PodMonitor",
    );
    podMonitor.spec.podMetricsEndpoints[0]?.metricRelabelings.push({ action: "rename", sourceLabels: ["__name__"] });
    await expect(validateObject(podMonitor, "control")).rejects.toThrow(/action/);
    const rule = pick<KubeObject & { spec: { groups: Record<string, unknown>[] } }>("PrometheusRule");
    (rule.spec.groups[0] as Record<string, unknown>).rulez = [];
    await expect(validateObject(rule, "control")).rejects.toThrow(/"additionalProperty":"rulez"/);
    // Go's case-insensitive patterns (prometheus-operator's failure-mode enums) keep their meaning.
    const failureMode = new RegExp(jsPattern("^(?i)(abort|warn)?$"));
    expect(["", "abort", "Warn", "ABORT"].map((v) => failureMode.test(v))).toEqual([true, true, true, true]);
    expect(failureMode.test("stop")).toBe(false);
    const provider = { name: "x", envoyExtAuthzGrpc: { service: "s", port: 1, timout: "1s" } };
    expect(ajv.compile(extAuthzProviderSchema())(provider)).toBe(false);
  });

  // Each filter's pluginConfig is loaded by its own parser in the Node host:
  // test/manifests/adaptive-lb-plugin-config.test.ts, test/manifests/traffic-shaper-plugin-config.test.ts
});
