// The global rate-limit test mesh on loopback: one real redis-server, two authz server processes
// (replicas, each serving ext_authz on its gRPC port and the RateLimitService on its own listener,
// buckets on the Redis), three real Envoys with one worker each (ext_authz at one replica, alternating; ratelimit
// calls round robin over both), one upstream, and a JWT identity provider. Descriptors come from
// the authz decision's dynamic metadata (`subject`) and fixed keys per route.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { type Endpoint, meshEnvoyConfig, type RouteSpec, rateLimitActions } from "../../scripts/lib/envoy-config.ts";
import { type RunningRedis, startRedis } from "../../scripts/lib/redis.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";
import { AUDIENCE, ISSUER, metricValue, startIdp, type TestIdp, until } from "../support/zero-trust-stack.ts";

/** Rates low enough that a shared 2-core machine under heavy load (a few dozen requests/s through
 *  ext_authz and the limiter) still offers more than each limit. Each burst is 1–1.5 s of its rate:
 *  a stalled load generator loses no tokens while its stall is shorter than that (the limit stays
 *  binding), and the bucket drains within the first second or two of a window. */
export const GLOBAL = { rate: 30, burst: 45 };
export const PER_SUBJECT = { rate: 6, burst: 6 };
export const SHADOW = { rate: 20, burst: 20 };

export const RULES = `
# The test mesh's rules (test/ratelimit/mesh.ts).
domain: mesh
fallback_share: 0.5 # two replicas
descriptors:
  - key: generic_key
    value: global
    rate_limit: { unit: second, requests_per_unit: ${GLOBAL.rate}, burst: ${GLOBAL.burst}, name: global }
  - key: generic_key
    value: shadow
    shadow_mode: true
    rate_limit: { unit: second, requests_per_unit: ${SHADOW.rate}, burst: ${SHADOW.burst}, name: shadow }
  - key: subject
    rate_limit: { unit: second, requests_per_unit: ${PER_SUBJECT.rate}, burst: ${PER_SUBJECT.burst}, name: per-subject, max_values: 1000 }
---
domain: strict
failure_mode_deny: true
descriptors:
  - key: generic_key
    value: strict
    rate_limit: { unit: second, requests_per_unit: 1000, name: strict }
`;

const ROUTES: RouteSpec[] = [
  { prefix: "/public/global", rateLimits: [{ actions: [rateLimitActions.genericKey("global")] }] },
  { prefix: "/public/shadow", rateLimits: [{ actions: [rateLimitActions.genericKey("shadow")] }] },
  { prefix: "/public/subject", rateLimits: [{ actions: [rateLimitActions.authzMetadata("subject")] }] },
  {
    prefix: "/public/strict",
    rateLimitDomain: "strict",
    rateLimits: [{ actions: [rateLimitActions.genericKey("strict")] }],
  },
  {
    prefix: "/public/unknown",
    rateLimitDomain: "nowhere",
    rateLimits: [{ actions: [rateLimitActions.genericKey("x")] }],
  },
  { prefix: "/" },
];

export interface Mesh {
  redis: RunningRedis;
  replicas: AuthzProcess[];
  envoys: RunningEnvoy[];
  upstream: SampleUpstream;
  idp: TestIdp;
  rulesFile: string;
  /** Sum of a metric over both replicas. */
  metric(name: string, labels?: string): Promise<number>;
  /** Both replicas decide on Redis. */
  shared(): Promise<boolean>;
  stop(): Promise<void>;
}

function authzConfig(dir: string, jwksUrl: string, redisUrl: string): string {
  const path = join(dir, "authz.yaml");
  const config = {
    bundle: { source: join(repoRoot, "build/policy/default.tar.gz") },
    check: { timeoutMs: 5000 },
    identity: {
      jwt: { jwksUrl, issuer: ISSUER, audience: [AUDIENCE], algorithms: ["ES256"] },
      spiffe: { enabled: false },
    },
    logging: { level: "warn", decisions: { enabled: false } },
    rateLimit: {
      rulesFile: "rules.yaml",
      pollIntervalMs: 200,
      grpc: { port: 0 }, // its own listener, as the Kubernetes manifests deploy it
      // Generous on purpose: a loaded test machine can stall Redis or this process for hundreds of
      // ms, and a slow reply is decided by the failure mode (that path is tested by killing Redis).
      redis: { url: redisUrl, timeoutMs: 1000 },
    },
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export async function startMesh(): Promise<Mesh> {
  const dir = scratchDir("mw-rl-mesh");
  const rulesFile = join(dir, "rules.yaml");
  writeFileSync(rulesFile, RULES);
  const [redis, idp, upstream] = await Promise.all([startRedis(), startIdp(), startSampleUpstream("app")]);
  const config = authzConfig(dir, idp.jwksUrl, redis.url);
  const replicas = await Promise.all([
    startAuthzProcess(["--config", config]),
    startAuthzProcess(["--config", config]),
  ]);
  const authzServers: Endpoint[] = replicas.map((r) => ({ host: "127.0.0.1", port: r.grpcPort }));
  const servers: Endpoint[] = replicas.map((r) => ({ host: "127.0.0.1", port: r.rateLimitPort }));
  const envoys = await Promise.all(
    [0, 1, 2].map((i) =>
      startEnvoy(
        meshEnvoyConfig({
          upstreams: [{ host: "127.0.0.1", port: upstream.port }],
          extAuthz: { mode: "grpc", server: authzServers[i % 2] as Endpoint, timeoutMs: 2000 },
          rateLimit: { servers, domain: "mesh", timeoutMs: 2000 },
          routes: ROUTES,
        }),
        { concurrency: 1 },
      ),
    ),
  );
  const metric = async (name: string, labels = "") =>
    (await Promise.all(replicas.map((r) => metricValue(r.httpPort, name, labels)))).reduce((a, b) => a + b, 0);
  const mesh: Mesh = {
    redis,
    replicas,
    envoys,
    upstream,
    idp,
    rulesFile,
    metric,
    shared: async () => (await metric("meshward_ratelimit_store_shared")) === replicas.length,
    async stop() {
      await Promise.all(envoys.map((e) => e.stop()));
      await Promise.all(mesh.replicas.map((r) => r.stop()));
      await mesh.redis.stop();
      await Promise.all([upstream.close(), idp.close()]);
    },
  };
  await until("both replicas on Redis", () => mesh.shared(), 15_000);
  return mesh;
}
