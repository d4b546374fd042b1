// Hostile input at the RateLimitService of a running authz server (gRPC, as Envoy calls it), on a
// real Redis: unknown domains, malformed and oversized requests get coded gRPC errors; a flood of
// distinct descriptor values cannot grow Redis beyond each rule's cap; the service's own listener
// refuses messages above its size cap; gRPC health reports the service; the server keeps serving.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { RateLimitResponse_Code } from "../../authz-server/src/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import {
  Health,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
} from "../../authz-server/src/gen/grpc/health/v1/health_pb.ts";
import { toGrpcServiceDefinition } from "../../authz-server/src/transport/grpc-adapter.ts";
import { type RunningRedis, startRedis } from "../../scripts/lib/redis.ts";
import { type RlsClient, rlsClient, rlsRequest } from "../../scripts/lib/rls-client.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";
import { MESH_RULES } from "./fixtures.ts";

let redis: RunningRedis | undefined;
let server: RunningServer | undefined;
let shared: RlsClient | undefined;
let own: RlsClient | undefined;

beforeAll(async () => {
  redis = await startRedis();
  const dir = scratchDir("mw-rl-hostile");
  writeFileSync(join(dir, "rules.yaml"), MESH_RULES);
  const config = defaultConfig(repoRoot);
  config.grpc.port = 0;
  config.http.port = 0;
  config.rateLimit = {
    rulesFile: join(dir, "rules.yaml"),
    pollIntervalMs: 0,
    headers: "limited",
    grpc: { host: "127.0.0.1", port: 0, maxMessageBytes: 16 * 1024 },
    redis: { url: redis.url, timeoutMs: 200, keyPrefix: "mw:rl:" },
    bounds: { maxDescriptors: 16, maxEntries: 4, maxValueLength: 256 },
  };
  server = await startAuthzServer(config, { logger: pino({ level: "silent" }) });
  own = rlsClient(`127.0.0.1:${server.rateLimitPort}`);
  expect(server.rateLimitPort).not.toBe(server.grpcPort);
});

afterAll(async () => {
  own?.close();
  shared?.close();
  await server?.close();
  await redis?.stop();
});

async function refusal(pending: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await pending;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error("the call was not refused");
}

describe("RateLimitService under hostile input", () => {
  it("answers a well-formed call on its own listener", async () => {
    const r = await (own as RlsClient).call(rlsRequest("mesh", [["subject", "alice"]]));
    expect(r.overallCode).toBe(RateLimitResponse_Code.OK);
    expect(r.statuses[0]?.limitRemaining).toBe(9);
  });

  it("refuses unknown domains and malformed or oversized requests with coded errors", async () => {
    const c = own as RlsClient;
    expect(await refusal(c.call(rlsRequest("nowhere", [["a", "b"]])))).toEqual({
      code: grpc.status.NOT_FOUND,
      details: "MW_RL_UNKNOWN_DOMAIN: no rate-limit rules for domain nowhere",
    });
    const many = rlsRequest(
      "mesh",
      ...Array.from({ length: 17 }, (_, i): [string, string][] => [["subject", `s${i}`]]),
    );
    expect(await refusal(c.call(many))).toEqual({
      code: grpc.status.INVALID_ARGUMENT,
      details: "MW_RL_BAD_REQUEST: descriptors: at most 16, got 17",
    });
    const long = rlsRequest("mesh", [["subject", "x".repeat(257)]]);
    expect(await refusal(c.call(long))).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    const deep = rlsRequest("mesh", [
      ["a", "1"],
      ["b", "2"],
      ["c", "3"],
      ["d", "4"],
      ["e", "5"],
    ]);
    expect((await refusal(c.call(deep))).details).toBe("MW_RL_BAD_REQUEST: descriptors[0].entries: at most 4, got 5");
    // Beyond the listener's message cap (16 KiB here): refused before decoding.
    const huge = rlsRequest(
      "mesh",
      ...Array.from({ length: 10 }, (_, i): [string, string][] => [["k", `${i}${"v".repeat(4000)}`]]),
    );
    expect((await refusal(c.call(huge))).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const metrics = await (await fetch(`http://127.0.0.1:${server?.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/meshward_ratelimit_calls_total\{domain="_unknown",code="MW_RL_UNKNOWN_DOMAIN"\} 1/);
    expect(metrics).toMatch(/meshward_ratelimit_calls_total\{domain="_unknown",code="MW_RL_BAD_REQUEST"\} 3/);
    // Still serving.
    expect((await c.call(rlsRequest("mesh", [["subject", "alice"]]))).overallCode).toBe(RateLimitResponse_Code.OK);
  });

  it("keeps Redis bounded under a flood of distinct descriptor values", async () => {
    const c = own as RlsClient;
    const batch = 200;
    for (let i = 0; i < 5000; i += batch) {
      await Promise.all(
        Array.from({ length: batch }, (_, j) =>
          c.call(
            rlsRequest(
              "mesh",
              [["subject", `flood-${i + j}`]],
              [
                ["risk_level", "high"],
                ["subject", `flood-${i + j}`],
              ],
            ),
          ),
        ),
      );
    }
    const client = new Redis((redis as RunningRedis).url);
    try {
      const keys = await client.keys("mw:rl:*");
      // per-subject (max_values 3) and high-risk (10 000 by default, but each bucket lives 10 s): at
      // most 3 + 5000 buckets, two overflow buckets, two value sets; nothing else.
      expect(keys.filter((k) => k.includes(":b:subject=")).length).toBeLessThanOrEqual(3);
      expect(keys.filter((k) => k.includes(":o:")).length).toBeLessThanOrEqual(2);
      expect(keys.length).toBeLessThanOrEqual(3 + 5000 + 2 + 2);
      expect(await client.zcard("mw:rl:{mesh}:v:subject")).toBeLessThanOrEqual(3);
    } finally {
      client.disconnect();
    }
    const metrics = await (await fetch(`http://127.0.0.1:${server?.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/meshward_ratelimit_overflow_total\{domain="mesh",rule="per-subject"\} [1-9]\d{3}/);
  });

  it("shares the authz gRPC port when it has no listener of its own, and reports health per service", async () => {
    const s = server as RunningServer;
    const Stub = grpc.makeClientConstructor(toGrpcServiceDefinition(Health), "Health");
    const health = new Stub(
      `127.0.0.1:${s.rateLimitPort}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      check(req: unknown, cb: (err: grpc.ServiceError | null, res?: HealthCheckResponse) => void): void;
    };
    const status = (service: string) =>
      new Promise<number>((resolve, reject) =>
        health.check(create(HealthCheckRequestSchema, { service }), (err, res) =>
          err ? reject(err) : resolve(res?.status as number),
        ),
      );
    expect(await status("envoy.service.ratelimit.v3.RateLimitService")).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect(await status("")).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await expect(status("envoy.service.auth.v3.Authorization")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    health.close();
    // The authz listener does not serve rate limits when the service has its own.
    shared = rlsClient(`127.0.0.1:${s.grpcPort}`);
    expect((await refusal(shared.call(rlsRequest("mesh", [["subject", "a"]])))).code).toBe(grpc.status.UNIMPLEMENTED);
    const statusPage = (await (await fetch(`http://127.0.0.1:${s.httpPort}/status`)).json()) as { rateLimit: unknown };
    expect(statusPage.rateLimit).toMatchObject({ domains: ["mesh"], store: "shared" });
  });
});
