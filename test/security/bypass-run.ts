// The path-bypass harness: every shipped Envoy configuration, started for real in front of a
// recording upstream, and a runner that sends path variants over raw HTTP/1.1 and HTTP/2 and checks
// what the upstream received. Used by test/security/path-bypass.e2e.test.ts (short, seeded) and by
// `npm run fuzz -- --only paths` (long).
//
// Configurations and what must hold for every request the upstream received:
//   sandbox       `npm start`'s Envoy (ext_authz gRPC + the built filters) and the default policy:
//                 the path resolves, under the loosest reading, inside /public/
//   http-mode     ext_authz in HTTP mode (Envoy's http_service) and the default policy: same
//   zero-trust    the signed zero-trust bundle over gRPC, anonymous callers: inside /public/ or /healthz
//   example:<f>   filters/<f>/envoy.yaml as shipped (no ext_authz): Envoy forwarded a path normalised
//                 as RFC 3986 says (no dot or empty segments, no encoded slash or dot, no backslash)
// Requests are attributed through a unique Host header, so they can run concurrently.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { chooseFilters } from "../../scripts/sandbox/filters.ts";
import { startMeshEnvoy } from "../../scripts/sandbox/mesh-envoy.ts";
import { loosestResolution, type PathVariant } from "./path-variants.ts";
import { h2Request, type RawAnswer, type RecordingUpstream, rawRequest, startRecordingUpstream } from "./raw-http.ts";

export interface BypassConfig {
  name: string;
  port: number;
  /** Why a received target breaks the configuration's promise, or undefined when it is fine. */
  violation(received: string): string | undefined;
}

export interface BypassSetup {
  upstream: RecordingUpstream;
  configs: BypassConfig[];
  close(): Promise<void>;
}

const pathOf = (target: string) => target.replace(/^[a-z]+:\/\/[^/]*/i, "").split("?")[0] ?? "";

/** Default policy: only GET /public/<something> may reach the upstream. */
export function insidePublic(received: string): string | undefined {
  const resolved = loosestResolution(received);
  return resolved.startsWith("/public/") && pathOf(received).startsWith("/public/")
    ? undefined
    : `resolves to ${resolved}`;
}

/** Zero-trust bundle, anonymous caller: its public routes are /public/** and /healthz. */
export function zeroTrustPublic(received: string): string | undefined {
  const resolved = loosestResolution(received);
  return (resolved.startsWith("/public/") && pathOf(received).startsWith("/public/")) || resolved === "/healthz"
    ? undefined
    : `resolves to ${resolved}`;
}

/** A path as RFC 3986 normalisation leaves it: no dot or empty segment, no encoded dot, slash or
 *  backslash. What RFC 3986 does not make special — `;` parameters (`..;`), double encoding
 *  (`%252e`), overlong UTF-8 — Envoy forwards as is: refusing those is the policy's job. */
export function normalised(received: string): string | undefined {
  const path = pathOf(received);
  // Envoy 1.40 forwards `//` for a path with a leading `//` that resolves to the root
  // (`//public/..`): still the root for any upstream (RELIABILITY.md, "documented, not changed").
  if (/^\/+$/.test(path)) return undefined;
  if (/\\|%2[fF]|%5[cC]|%2[eE]/.test(path)) return "encoded dot, slash or backslash left in the path";
  const segments = path.split("/").slice(1);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? "";
    if (segment === "." || segment === "..") return "dot segment left in the path";
    if (segment === "" && i < segments.length - 1) return "empty segment left in the path";
  }
  return undefined;
}

/** A shipped example config with its ports moved: listener and admin 0, upstream → `upstreamPort`. */
export function exampleConfig(file: string, upstreamPort: number): Record<string, unknown> {
  const config = parseYaml(readFileSync(join(repoRoot, file), "utf8")) as Record<string, unknown>;
  const visit = (node: unknown, key = ""): void => {
    if (Array.isArray(node)) for (const item of node) visit(item, key);
    else if (node !== null && typeof node === "object") {
      const obj = node as Record<string, unknown>;
      const socket = obj.socket_address as { port_value?: number } | undefined;
      if (socket) socket.port_value = key === "endpoint" ? upstreamPort : 0;
      for (const [k, v] of Object.entries(obj)) visit(v, k === "address" ? key : k);
    }
  };
  visit(config);
  return config;
}

function buildOutput(name: string): string {
  return join(repoRoot, "build/policy", name);
}

/** Starts every configuration of the suite (each Envoy with `concurrency` workers). */
export async function startBypassSetup(concurrency = 1): Promise<BypassSetup> {
  const upstream = await startRecordingUpstream();
  const processes: AuthzProcess[] = [];
  const envoys: RunningEnvoy[] = [];
  const configs: BypassConfig[] = [];
  const at = (port: number) => ({ host: "127.0.0.1", port });
  try {
    const defaultAuthz = await startAuthzProcess(["--log-level", "warn"]);
    processes.push(defaultAuthz);
    const sandbox = await startMeshEnvoy({
      listenerPort: 0,
      upstreams: [at(upstream.port)],
      authzGrpcPort: defaultAuthz.grpcPort,
      filters: chooseFilters(repoRoot),
      echo: false,
      log: () => {},
    });
    envoys.push(sandbox);
    configs.push({ name: "sandbox", port: sandbox.listenerPort, violation: insidePublic });
    const httpMode = await startEnvoy(
      meshEnvoyConfig({
        upstreams: [at(upstream.port)],
        extAuthz: { mode: "http", server: at(defaultAuthz.httpPort), pathPrefix: "/check" },
      }),
      { concurrency },
    );
    envoys.push(httpMode);
    configs.push({ name: "http-mode", port: httpMode.listenerPort, violation: insidePublic });
    const zeroTrustAuthz = await startAuthzProcess([
      "--bundle",
      buildOutput("zero-trust.tar.gz"),
      "--entrypoint",
      "meshward/zerotrust/decision",
      "--verification-key",
      buildOutput("dev-keys/zero-trust.verification-key.pem"),
      "--log-level",
      "warn",
    ]);
    processes.push(zeroTrustAuthz);
    const zeroTrust = await startEnvoy(
      meshEnvoyConfig({
        upstreams: [at(upstream.port)],
        extAuthz: { mode: "grpc", server: at(zeroTrustAuthz.grpcPort) },
      }),
      { concurrency },
    );
    envoys.push(zeroTrust);
    configs.push({ name: "zero-trust", port: zeroTrust.listenerPort, violation: zeroTrustPublic });
    for (const file of ["filters/adaptive-lb/envoy.yaml", "filters/traffic-shaper/envoy.yaml"]) {
      const example = await startEnvoy(exampleConfig(file, upstream.port), { concurrency });
      envoys.push(example);
      configs.push({ name: `example:${file}`, port: example.listenerPort, violation: normalised });
    }
  } catch (err) {
    await Promise.all([...envoys.map((e) => e.stop()), ...processes.map((p) => p.stop()), upstream.close()]);
    throw err;
  }
  return {
    upstream,
    configs,
    close: async () => {
      await Promise.all([...envoys.map((e) => e.stop()), ...processes.map((p) => p.stop())]);
      await upstream.close();
    },
  };
}

export interface BypassReport {
  config: string;
  sent: number;
  /** Requests the upstream received (the rest Envoy or the policy answered). */
  reached: number;
  statuses: Record<string, number>;
  violations: string[];
  /** Variant targets (with protocol) that reached the upstream. */
  reachedTargets: Set<string>;
}

let nextId = 0;

/** Sends every variant over HTTP/1.1 (and the origin-form ones over HTTP/2) to `config`,
 *  `parallel` at a time, and checks every request the upstream received. */
export async function runBypass(
  setup: BypassSetup,
  config: BypassConfig,
  variants: readonly PathVariant[],
  parallel = 8,
): Promise<BypassReport> {
  const report: BypassReport = {
    config: config.name,
    sent: 0,
    reached: 0,
    statuses: {},
    violations: [],
    reachedTargets: new Set(),
  };
  const jobs: { host: string; variant: PathVariant; send: () => Promise<RawAnswer>; protocol: string }[] = [];
  for (const variant of variants) {
    const h1 = `v${nextId++}.bypass.test`;
    // In absolute form the URI's authority is the request's host: it carries the marker there.
    const target = variant.absolute ? variant.target.replace(/^http:\/\/[^/]*/, `http://${h1}`) : variant.target;
    jobs.push({
      host: h1,
      variant,
      protocol: "h1",
      send: () => rawRequest(config.port, `GET ${target} HTTP/1.1\r\nhost: ${h1}`),
    });
    if (!variant.absolute) {
      const h2 = `v${nextId++}.bypass.test`;
      jobs.push({
        host: h2,
        variant,
        protocol: "h2",
        send: () => h2Request(config.port, variant.target, { ":authority": h2 }),
      });
    }
  }
  const byHost = new Map(jobs.map((job) => [job.host, job]));
  const first = setup.upstream.received.length;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as (typeof jobs)[number];
      const answer = await job.send();
      report.sent++;
      const key = `${job.protocol} ${answer.status}`;
      report.statuses[key] = (report.statuses[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  for (const received of setup.upstream.received.slice(first)) {
    const host = received.headers.find(([name]) => name === "host" || name === ":authority")?.[1] ?? "";
    const job = byHost.get(host);
    if (!job) {
      if (host.endsWith(".bypass.test") && report.violations.length < 20)
        report.violations.push(`upstream got ${JSON.stringify(received.target)} for an unknown host ${host}`);
      continue; // another configuration's request
    }
    report.reached++;
    report.reachedTargets.add(`${job.protocol} ${job.variant.target}`);
    const problem = config.violation(received.target);
    if (problem && report.violations.length < 20)
      report.violations.push(
        `${job.protocol} ${JSON.stringify(job.variant.target)} → upstream got ${JSON.stringify(received.target)}: ${problem}`,
      );
  }
  return report;
}
