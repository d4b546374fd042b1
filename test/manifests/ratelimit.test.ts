// The mesh-wide rate limits as shipped: the rules ConfigMap passes the server's own rules parser;
// the Deployment mounts it where the server config reads it; each EnvoyFilter's patches, placed as
// Istio places them (filter before the router, rate_limits merged into the virtual host, Istio's
// outbound cluster for the authz Service), are accepted by real Envoy (--mode validate, with a
// control that a misspelt field is refused); and every descriptor key Envoy sends is one the rules
// know, every metadata field one the authz decision carries.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadConfig, parseCommandLine } from "../../authz-server/src/config/load.ts";
import { compileRules } from "../../authz-server/src/ratelimit/rules-source.ts";
import { EXT_AUTHZ_METADATA_NAMESPACE } from "../../scripts/lib/envoy-config.ts";
import { envoyBinary, repoRoot } from "../../scripts/lib/tools.ts";

const M = join(repoRoot, "manifests");
const RULES = join(M, "authz-server/base/config/ratelimit-rules.yaml");
const FILTERS = ["orders-ratelimit.yaml", "ingress-ratelimit.yaml"];
/** Dynamic metadata the authz server or the zero-trust policy puts in every decision (docs/headers.md). */
const DECISION_METADATA = ["subject", "principal_type", "risk_level", "risk_score", "route", "decision_id"];
/** Headers the authz server sets or removes on every allow (docs/headers.md): safe descriptor sources. */
const SERVER_OWNED_HEADERS = ["x-meshward-subject", "x-meshward-risk-level", "x-meshward-risk-score"];

interface Patch {
  applyTo: string;
  match: { context: string };
  patch: { operation: string; value: Record<string, unknown> };
}

function envoyFilter(file: string): { metadata: { name: string }; spec: { configPatches: Patch[] } } {
  return parse(readFileSync(join(M, "istio/ratelimit", file), "utf8"));
}

const work = mkdtempSync(join(tmpdir(), "meshward-rl-manifests-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function validate(config: unknown): { status: number | null; output: string } {
  const file = join(work, `envoy-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  const r = spawnSync(envoyBinary(), ["--mode", "validate", "-c", file], { encoding: "utf8" });
  return { status: r.status, output: r.stdout + r.stderr };
}

/** A bootstrap shaped as Istio builds it, with the EnvoyFilter's two patches applied. */
function patchedBootstrap(filter: Record<string, unknown>, vhostMerge: Record<string, unknown>, cluster: string) {
  const hcm = {
    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    stat_prefix: "inbound",
    route_config: {
      virtual_hosts: [
        {
          name: "inbound|http|8080",
          domains: ["*"],
          routes: [{ match: { prefix: "/" }, direct_response: { status: 200 } }],
          ...vhostMerge,
        },
      ],
    },
    http_filters: [
      filter,
      {
        name: "envoy.filters.http.router",
        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
      },
    ],
  };
  return {
    static_resources: {
      listeners: [
        {
          name: "inbound",
          address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
          filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: hcm }] }],
        },
      ],
      clusters: [
        {
          name: cluster,
          type: "STATIC",
          connect_timeout: "1s",
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: cluster,
            endpoints: [
              {
                lb_endpoints: [
                  { endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 9003 } } } },
                ],
              },
            ],
          },
        },
      ],
    },
  };
}

describe("rate-limit manifests", () => {
  const domains = compileRules([{ path: RULES, text: readFileSync(RULES, "utf8") }]);
  const config = loadConfig(
    parseCommandLine(["--config", join(M, "authz-server/base/config/authz.yaml")]),
    {},
    repoRoot,
  );

  it("the rules file passes the server's parser, and the server config reads it from the mounted ConfigMap", () => {
    expect([...domains.keys()]).toEqual(["mesh"]);
    expect(domains.get("mesh")?.rules.map((r) => r.name)).toContain("per-subject");
    expect(config.rateLimit?.rulesFile).toBe("/etc/meshward/ratelimit/rules.yaml");
    const deployment = parse(readFileSync(join(M, "authz-server/base/deployment.yaml"), "utf8"));
    const mounts = deployment.spec.template.spec.containers[0].volumeMounts as { name: string; mountPath: string }[];
    const volumes = deployment.spec.template.spec.volumes as { name: string; configMap?: { name: string } }[];
    const mount = mounts.find((m) => m.mountPath === "/etc/meshward/ratelimit");
    expect(volumes.find((v) => v.name === mount?.name)?.configMap?.name).toBe("meshward-ratelimit-rules");
    const kustomization = parseAllDocuments(
      readFileSync(join(M, "authz-server/base/kustomization.yaml"), "utf8"),
    )[0]?.toJS();
    const generator = kustomization.configMapGenerator.find(
      (g: { name: string }) => g.name === "meshward-ratelimit-rules",
    );
    expect(generator).toMatchObject({
      files: ["rules.yaml=config/ratelimit-rules.yaml"],
      options: { disableNameSuffixHash: true },
    });
  });

  for (const file of FILTERS) {
    it(`${file}: the patches are accepted by real Envoy and name only what the rules and the authz decision know`, () => {
      const patches = envoyFilter(file).spec.configPatches;
      const filterPatch = patches.find((p) => p.applyTo === "HTTP_FILTER") as Patch;
      const vhostPatch = patches.find((p) => p.applyTo === "VIRTUAL_HOST") as Patch;
      expect(filterPatch.patch.operation).toBe("INSERT_BEFORE");
      expect(vhostPatch.patch.operation).toBe("MERGE");
      const filter = filterPatch.patch.value as { typed_config: Record<string, unknown> };
      const service = filter.typed_config.rate_limit_service as {
        grpc_service: { envoy_grpc: { cluster_name: string } };
      };
      const cluster = service.grpc_service.envoy_grpc.cluster_name;
      // The authz Service's rate-limit port, where the server config listens for it.
      expect(cluster).toBe(
        `outbound|${config.rateLimit?.grpc?.port}||meshward-authz.meshward-system.svc.cluster.local`,
      );
      expect(filter.typed_config.domain).toBe("mesh");
      const ok = validate(patchedBootstrap(filter, vhostPatch.patch.value, cluster));
      expect(ok.status, ok.output).toBe(0);
      // Control: the same check refuses a misspelt field, so the pass above means something.
      const broken = structuredClone(filter);
      broken.typed_config.failure_mode_denny = true;
      const bad = validate(patchedBootstrap(broken, vhostPatch.patch.value, cluster));
      expect(bad.status).not.toBe(0);
      expect(bad.output).toMatch(/failure_mode_denny/);

      const ruleKeys = new Set<string>();
      const walk = (text: string) => {
        for (const m of text.matchAll(/^\s*(?:- )?key: (\S+)/gm)) ruleKeys.add(m[1] as string);
      };
      walk(readFileSync(RULES, "utf8"));
      const policies = vhostPatch.patch.value.rate_limits as { actions: Record<string, Record<string, unknown>>[] }[];
      for (const policy of policies) {
        for (const action of policy.actions) {
          const [kind, body] = Object.entries(action)[0] as [string, Record<string, unknown>];
          const key = (body.descriptor_key as string | undefined) ?? "generic_key";
          expect(ruleKeys, `${file}: descriptor key ${key}`).toContain(key);
          if (kind === "metadata") {
            const metadataKey = body.metadata_key as { key: string; path: { key: string }[] };
            expect(metadataKey.key).toBe(EXT_AUTHZ_METADATA_NAMESPACE);
            expect(DECISION_METADATA).toContain(metadataKey.path[0]?.key);
          } else if (kind === "request_headers") {
            expect(SERVER_OWNED_HEADERS, `${file}: ${body.header_name} could be sent by a client`).toContain(
              body.header_name,
            );
          } else {
            expect(kind).toBe("generic_key");
          }
        }
      }
    });
  }
});
