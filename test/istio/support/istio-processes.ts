// istiod (pilot-discovery) reading a config directory, and Istio's agent (pilot-agent) running
// stock Envoy as a sidecar or gateway, all on loopback without Kubernetes. The settings are the
// ones that make a 1.31 istiod drive stock Envoy 1.40 (no istio-proxy build exists here):
// metadata exchange and the ALPN filter off (their filters exist only in istio-proxy).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { type ManagedProcess, startProcess } from "../../../scripts/lib/processes.ts";
import { freePort } from "../../../scripts/lib/redis.ts";
import {
  envoyBinary,
  pilotAgentBinary,
  pilotDiscoveryBinary,
  toolsDir,
  toolVersions,
} from "../../../scripts/lib/tools.ts";

/** Istio's Envoy bootstrap template, copied out of the module by the bootstrap's istio job. */
const BOOTSTRAP_TEMPLATE = join(toolsDir, "istio/envoy_bootstrap_tmpl.json");
/** The Istio release the pinned pseudo-version carries (its VERSION file); the binaries say "unknown". */
export const ISTIO_VERSION = `${toolVersions.istio.release.replace(/-dev$/, "")}.0`;

export interface Istiod {
  process: ManagedProcess;
  xdsAddress: string;
  monitoringUrl: string;
  configDir: string;
  stop(): Promise<void>;
}

export async function startIstiod(configDir: string, meshConfig: Record<string, unknown>): Promise<Istiod> {
  const dir = mkdtempSync(join(tmpdir(), "meshward-istiod-"));
  const meshFile = join(dir, "mesh.yaml");
  writeFileSync(meshFile, stringify(meshConfig));
  const [grpc, secure, https, http, monitoring, ctrlz] = await Promise.all([1, 2, 3, 4, 5, 6].map(() => freePort()));
  // biome-ignore format: one flag and its value per line
  const args = [
    "discovery",
    "--registries=",
    `--configDir=${configDir}`,
    `--meshConfig=${meshFile}`,
    "--networksConfig=/dev/null",
    "--domain=cluster.local",
    `--grpcAddr=127.0.0.1:${grpc}`,
    `--secureGRPCAddr=127.0.0.1:${secure}`,
    `--httpsAddr=127.0.0.1:${https}`,
    `--httpAddr=127.0.0.1:${http}`,
    `--monitoringAddr=127.0.0.1:${monitoring}`,
    "--ctrlz_address=127.0.0.1",
    `--ctrlz_port=${ctrlz}`,
  ];
  const proc = startProcess("istiod", pilotDiscoveryBinary(), args, {
    cwd: dir,
    env: {
      ...process.env,
      POD_NAME: "istiod-e2e",
      POD_NAMESPACE: "istio-system",
      REVISION: "default",
      PILOT_ENABLE_XDS_IDENTITY_CHECK: "false",
      PILOT_ENABLE_METADATA_EXCHANGE: "false",
      PILOT_ENABLE_ALPN_FILTER: "false",
    },
  });
  const monitoringUrl = `http://127.0.0.1:${monitoring}`;
  const stop = stopper(proc, dir);
  // Its /ready stays false without Kubernetes (no sidecar injector, no webhook): the plaintext xDS
  // server starting, after the config caches synced, is what the proxies need.
  await proc.waitForLine(/starting gRPC discovery service at/, 60_000).catch(async (err) => {
    await stop();
    throw err;
  });
  return { process: proc, xdsAddress: `127.0.0.1:${grpc}`, monitoringUrl, configDir, stop };
}

export interface ProxySpec {
  kind: "sidecar" | "router";
  name: string;
  namespace: string;
  ip: string;
  labels: Record<string, string>;
  xdsAddress: string;
  /** host:port of the OCI registry the agent may pull Wasm from over plain HTTP. */
  insecureRegistry: string;
}

export interface IstioProxy {
  process: ManagedProcess;
  adminUrl: string;
  spec: ProxySpec;
  adminJson<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export async function startProxy(spec: ProxySpec): Promise<IstioProxy> {
  const dir = mkdtempSync(join(tmpdir(), `meshward-${spec.name}-`));
  // pilot-agent reads the template relative to its working directory.
  mkdirSync(join(dir, "var/lib/istio/envoy"), { recursive: true });
  cpSync(BOOTSTRAP_TEMPLATE, join(dir, "var/lib/istio/envoy/envoy_bootstrap_tmpl.json"));
  const [admin, status, envoyStatus, prometheus] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  const proxyConfig = {
    discoveryAddress: spec.xdsAddress,
    controlPlaneAuthPolicy: "NONE",
    binaryPath: envoyBinary(),
    configPath: join(dir, "etc"),
    proxyAdminPort: admin,
    statusPort: status,
    concurrency: 1,
    drainDuration: "1s",
    terminationDrainDuration: "1s",
  };
  const proc = startProcess("pilot-agent", pilotAgentBinary(), ["proxy", spec.kind], {
    cwd: dir,
    env: {
      ...process.env,
      PROXY_CONFIG: JSON.stringify(proxyConfig),
      POD_NAME: spec.name,
      POD_NAMESPACE: spec.namespace,
      INSTANCE_IP: spec.ip,
      SERVICE_ACCOUNT: spec.labels.app ?? spec.name,
      ISTIO_META_CLUSTER_ID: "Kubernetes",
      ISTIO_META_ISTIO_VERSION: ISTIO_VERSION,
      ISTIO_METAJSON_LABELS: JSON.stringify(spec.labels),
      ISTIO_META_WORKLOAD_NAME: spec.name,
      ISTIO_META_DNS_CAPTURE: "false",
      ISTIO_META_INTERCEPTION_MODE: "NONE",
      ENVOY_STATUS_PORT: String(envoyStatus),
      ENVOY_PROMETHEUS_PORT: String(prometheus),
      WASM_INSECURE_REGISTRIES: spec.insecureRegistry,
      // No Istio CA here (mTLS is off mesh-wide): the agent's certificate client gets the system
      // roots instead of the cluster's root-cert ConfigMap, which does not exist.
      CA_ROOT_CA: "SYSTEM",
    },
  });
  const adminUrl = `http://127.0.0.1:${admin}`;
  const stop = stopper(proc, dir);
  await until(`${spec.name} Envoy live`, 90_000, async () => (await fetch(`${adminUrl}/ready`)).ok, proc).catch(
    async (err) => {
      await stop();
      throw err;
    },
  );
  return {
    process: proc,
    adminUrl,
    spec,
    adminJson: async <T>(path: string) => (await (await fetch(`${adminUrl}${path}`)).json()) as T,
    stop,
  };
}

/** Stops the process (pilot-agent ends its Envoy itself) and removes its working directory. */
function stopper(proc: ManagedProcess, dir: string): () => Promise<void> {
  return async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Polls `probe` until it is true; fails with the process's output when it exits or time runs out. */
export async function until(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  proc?: ManagedProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.child.exitCode !== null)
      throw new Error(`${proc.name} exited while waiting for ${what}:\n${proc.output().slice(-6000)}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${what}: not reached in ${timeoutMs} ms${proc ? `:\n${proc.output().slice(-6000)}` : ""}`);
    await sleep(200);
  }
}
