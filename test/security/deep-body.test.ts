// A JSON request body nested ~10 000 levels deep (Go's, and so opa-envoy's, limit). Through the real
// server (composition root, gRPC on loopback) with a policy that allows any parsed body:
//   - by default (policy.maxBodyDepth 128) it is refused before the policy: MW_REQUEST_PARSE, 400,
//     logged. Before the cap it reached the policy: allowed by this one, a stack overflow in a
//     policy that serialises it, seconds of event loop for one that walks it;
//   - with opa-envoy's limit configured (10 000), a policy whose evaluation overflows the stack
//     denies with MW_POLICY_EVAL, logged, and the server goes on answering: fail-closed.
import { Writable } from "node:stream";
import { create, toBinary } from "@bufbuild/protobuf";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import {
  CheckRequestSchema,
  type CheckResponse,
} from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { buildBundle } from "../authz/helpers/opa-bundle.ts";
import { grpcClients } from "./exhaustion-run.ts";

const bundle = buildBundle("test/security/fixtures/deep-body", { entrypoints: ["deep/allow", "deep/marshalled"] });
const running: RunningServer[] = [];
afterAll(() => Promise.all(running.map((s) => s.close())));

async function server(maxBodyDepth?: number): Promise<{ server: RunningServer; logs: string[] }> {
  const config = defaultConfig(repoRoot);
  config.grpc.port = 0;
  config.http.enabled = false;
  config.bundle.source = bundle;
  config.identity.spiffe.enabled = false;
  config.check.timeoutMs = 60_000; // a loaded machine: this asserts codes, not time
  if (maxBodyDepth !== undefined) config.policy.maxBodyDepth = maxBodyDepth;
  config.logging.decisions = { enabled: true, sampleRate: 1, redactPaths: [], bodyPaths: [] };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const started = await startAuthzServer(config, { logger: pino({ level: "info" }, sink) });
  running.push(started);
  return { server: started, logs };
}

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

function check(port: number, entrypoint: string, body: string): Promise<CheckResponse> {
  const bytes = Buffer.from(
    toBinary(
      CheckRequestSchema,
      create(CheckRequestSchema, {
        attributes: {
          contextExtensions: { meshward_entrypoint: entrypoint },
          request: {
            http: { method: "POST", path: "/public/x", headers: { "content-type": "application/json" }, body },
          },
        },
      }),
    ),
  );
  const [client] = grpcClients(port, 1);
  if (!client) throw new Error("no client");
  return new Promise((resolve, reject) =>
    client.check(bytes, { deadline: Date.now() + 120_000 }, (err, response) => {
      client.close();
      if (err || !response) reject(err ?? new Error("no response"));
      else resolve(response);
    }),
  );
}

function answer(response: CheckResponse): { allowed: boolean; reason?: string; status?: number } {
  if (response.status?.code === 0) return { allowed: true };
  const denied = response.httpResponse.case === "deniedResponse" ? response.httpResponse.value : undefined;
  const reason = denied?.headers.find((h) => h.header?.key === "x-meshward-reason")?.header?.value;
  return { allowed: false, ...(reason ? { reason } : {}), ...(denied?.status ? { status: denied.status.code } : {}) };
}

const decisionLines = (logs: string[]) =>
  logs.filter((line) => line.includes('"event":"decision"')).map((line) => JSON.parse(line));

describe("a body nested 10 000 levels deep", () => {
  it("is refused before the policy by default: MW_REQUEST_PARSE, 400, logged", async () => {
    const { server: s, logs } = await server();
    expect(answer(await check(s.grpcPort, "deep/allow", nested(10_000)))).toEqual({
      allowed: false,
      reason: "MW_REQUEST_PARSE",
      status: 400,
    });
    // The cap is on depth, not on having a body: a shallow one still reaches the policy.
    expect(answer(await check(s.grpcPort, "deep/allow", nested(100)))).toEqual({ allowed: true });
    const [refused] = decisionLines(logs);
    expect(refused).toMatchObject({ allowed: false, reason: "MW_REQUEST_PARSE" });
    expect(refused.error).toMatch(/max depth of 128/);
  });

  it("with opa-envoy's limit, denies MW_POLICY_EVAL when the evaluation overflows, logged, and the server answers on", async () => {
    const { server: s, logs } = await server(10_000);
    expect(answer(await check(s.grpcPort, "deep/marshalled", nested(10_000)))).toMatchObject({
      allowed: false,
      reason: "MW_POLICY_EVAL",
    });
    expect(answer(await check(s.grpcPort, "deep/marshalled", nested(10)))).toEqual({ allowed: true });
    const [failed] = decisionLines(logs);
    expect(failed).toMatchObject({ allowed: false, reason: "MW_POLICY_EVAL" });
    expect(failed.error).toMatch(/call stack/);
  });
});
