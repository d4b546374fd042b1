// Readiness follows the bundle: a server whose bundle URL is down starts, answers checks with a
// coded deny, reports not ready on /readyz and gRPC health, and becomes ready once polling loads
// a bundle; /metrics says so (ready, last bundle failure and success).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import {
  Health,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
} from "../../authz-server/src/gen/grpc/health/v1/health_pb.ts";
import { toGrpcServiceDefinition } from "../../authz-server/src/transport/grpc-adapter.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { buildBundle, readBundle } from "./helpers/opa-bundle.ts";

let bundleServer: Server;
let serving: Uint8Array | undefined;
let server: RunningServer | undefined;

beforeAll(async () => {
  const bundle = readBundle(buildBundle("policy/default", { entrypoints: ["envoy/authz/allow"], revision: "late" }));
  bundleServer = createServer((_req, res) => {
    if (!serving) return void res.writeHead(503).end();
    res.writeHead(200, { etag: '"late"' }).end(serving);
  });
  await new Promise<void>((resolve) => bundleServer.listen(0, "127.0.0.1", resolve));
  const config = defaultConfig(repoRoot);
  config.grpc.port = 0;
  config.http.port = 0;
  config.bundle = {
    ...config.bundle,
    source: `http://127.0.0.1:${(bundleServer.address() as AddressInfo).port}/b.tar.gz`,
    pollIntervalMs: 100,
  };
  server = await startAuthzServer(config, { logger: pino({ level: "silent" }) });
  (globalThis as { lateBundle?: Uint8Array }).lateBundle = bundle;
});

afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => bundleServer.close(() => resolve()));
});

/** Unlabelled samples of /metrics by name. */
async function metricSamples(): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${server?.httpPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^(meshward_authz_\w+) (\S+)$/gm)) out.set(m[1] as string, Number(m[2]));
  return out;
}

function grpcHealth(): Promise<HealthCheckResponse> {
  const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(Health), "Health");
  const client = new Client(`127.0.0.1:${server?.grpcPort}`, grpc.credentials.createInsecure()) as unknown as {
    check(r: unknown, o: grpc.CallOptions, cb: (e: Error | null, r: HealthCheckResponse) => void): void;
    close(): void;
  };
  return new Promise<HealthCheckResponse>((resolve, reject) =>
    client.check(create(HealthCheckRequestSchema, { service: "" }), { deadline: Date.now() + 3000 }, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  ).finally(() => client.close());
}

describe("readiness", () => {
  it("is live but not ready without a bundle, and denies with the fetch failure's code", async () => {
    const base = `http://127.0.0.1:${server?.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await grpcHealth()).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    const check = await fetch(`${base}/check/public/x`);
    expect(check.status).toBe(403);
    expect(check.headers.get("x-meshward-reason")).toBe("MW_BUNDLE_FETCH");
    const status = (await (await fetch(`${base}/status`)).json()) as { bundle: { lastError?: string } };
    expect(status.bundle.lastError).toMatch(/HTTP 503/);
    const metrics = await metricSamples();
    expect(metrics.get("meshward_authz_ready")).toBe(0);
    expect(metrics.get("meshward_authz_bundle_last_success_timestamp_seconds")).toBe(0);
    expect(metrics.get("meshward_authz_bundle_last_failure_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(metrics.get("meshward_authz_bundle_poll_interval_seconds")).toBe(0.1);
  });

  it("becomes ready once polling activates a bundle", async () => {
    serving = (globalThis as { lateBundle?: Uint8Array }).lateBundle;
    const base = `http://127.0.0.1:${server?.httpPort}`;
    for (let i = 0; i < 100 && (await fetch(`${base}/readyz`)).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await grpcHealth()).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await fetch(`${base}/check/public/x`)).status).toBe(200);
    const metrics = await metricSamples();
    expect(metrics.get("meshward_authz_ready")).toBe(1);
    expect(metrics.get("meshward_authz_bundle_last_success_timestamp_seconds")).toBeGreaterThanOrEqual(
      metrics.get("meshward_authz_bundle_last_failure_timestamp_seconds") ?? Number.POSITIVE_INFINITY,
    );
  });
});
