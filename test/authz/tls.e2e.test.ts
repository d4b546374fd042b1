// TLS and mTLS on both listeners: real Envoy reaches the gRPC listener over mTLS with a client
// certificate from a test CA; clients without a certificate are refused on gRPC and HTTPS alike.
import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import {
  Authorization,
  type CheckRequest,
  CheckRequestSchema,
  type CheckResponse,
} from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { toGrpcServiceDefinition } from "../../authz-server/src/transport/grpc-adapter.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { makeTestPki, type TestPki } from "./helpers/test-pki.ts";

let pki: TestPki;
let server: RunningServer | undefined;
let envoy: RunningEnvoy | undefined;
let upstream: SampleUpstream | undefined;

beforeAll(async () => {
  pki = makeTestPki();
  const config = defaultConfig(repoRoot);
  const tls = { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, clientCaFile: pki.caFile };
  config.grpc = { ...config.grpc, host: "127.0.0.1", port: 0, tls };
  config.http = { ...config.http, port: 0, tls };
  server = await startAuthzServer(config, { logger: pino({ level: "silent" }) });
  upstream = await startSampleUpstream("app");
  envoy = await startEnvoy(
    meshEnvoyConfig({
      upstreams: [{ host: "127.0.0.1", port: upstream.port }],
      extAuthz: {
        mode: "grpc",
        server: { host: "127.0.0.1", port: server.grpcPort },
        tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile },
      },
    }),
  );
});

afterAll(async () => {
  await envoy?.stop();
  await server?.close();
  await upstream?.close();
});

function grpcCheck(credentials: grpc.ChannelCredentials): Promise<CheckResponse> {
  const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(Authorization), "Authorization");
  const client = new Client(`127.0.0.1:${server?.grpcPort}`, credentials) as unknown as {
    check(r: CheckRequest, o: grpc.CallOptions, cb: (e: Error | null, r: CheckResponse) => void): void;
    close(): void;
  };
  const request = create(CheckRequestSchema, {
    attributes: { request: { http: { method: "GET", path: "/public/x", headers: {} } } },
  });
  return new Promise<CheckResponse>((resolve, reject) => {
    client.check(request, { deadline: Date.now() + 3000 }, (err, response) => (err ? reject(err) : resolve(response)));
  }).finally(() => client.close());
}

function httpsStatus(withClientCert: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port: server?.httpPort,
        path: "/readyz",
        ca: readFileSync(pki.caFile),
        ...(withClientCert ? { cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile) } : {}),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("TLS and mTLS listeners", () => {
  it("serves Envoy over mTLS (gRPC): allow and deny as usual", async () => {
    const base = `http://127.0.0.1:${envoy?.listenerPort}`;
    expect((await fetch(`${base}/public/hello`)).status).toBe(200);
    expect((await fetch(`${base}/private`)).status).toBe(403);
  });

  it("refuses gRPC clients without a client certificate, accepts those with one", async () => {
    const ca = readFileSync(pki.caFile);
    await expect(grpcCheck(grpc.credentials.createSsl(ca))).rejects.toThrow();
    const ok = await grpcCheck(
      grpc.credentials.createSsl(ca, readFileSync(pki.clientKeyFile), readFileSync(pki.clientCertFile)),
    );
    expect(ok.status?.code).toBe(0);
  });

  it("requires a client certificate on the HTTPS listener too", async () => {
    expect(await httpsStatus(true)).toBe(200);
    await expect(httpsStatus(false)).rejects.toThrow();
  });
});
