// Regression: a presigned `bundle.source` appeared with its X-Amz-Signature on the unauthenticated
// /status, in the `meshward_authz_bundle_info` label and in log lines. Every URL the server reports
// is now scheme + host + path. Userinfo credentials are sent as Basic authentication and never shown.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { bundleKit } from "./bundle-kit.ts";

const SIGNATURE = "f00dfacecafe0123456789SIGNATURE";
const PASSWORD = "hunter2-PASSWORD";
const JWKS_SECRET = "jwks-TOKEN-in-query";

let bundleServer: Server;
let server: RunningServer;
let answer: "bundle" | "error" = "bundle";
const logs: string[] = [];
const seenAuth: (string | undefined)[] = [];

beforeAll(async () => {
  const { archive } = await bundleKit();
  bundleServer = createServer((req, res) => {
    seenAuth.push(req.headers.authorization);
    if (req.url?.startsWith("/jwks")) return void res.writeHead(503).end();
    if (answer === "error") return void res.writeHead(500).end();
    res.writeHead(200, { etag: `"${answer}"` }).end(archive);
  });
  await new Promise<void>((resolve) => bundleServer.listen(0, "127.0.0.1", resolve));
  const origin = `127.0.0.1:${(bundleServer.address() as AddressInfo).port}`;
  const config = defaultConfig(repoRoot);
  config.grpc.port = 0;
  config.http.port = 0;
  config.bundle.source = `http://bundles:${PASSWORD}@${origin}/b/bundle.tar.gz?X-Amz-Credential=AKIA&X-Amz-Signature=${SIGNATURE}`;
  config.bundle.pollIntervalMs = 0;
  config.identity.jwt = {
    header: "authorization",
    jwksUrl: `http://${origin}/jwks.json?token=${JWKS_SECRET}`,
    algorithms: ["RS256"],
    clockSkewSec: 0,
    jwksCacheMs: 60_000,
    jwksMinRefetchMs: 0,
    jwksTimeoutMs: 1000,
    jwksMaxBytes: 65536,
  };
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  server = await startAuthzServer(config, { logger: pino({ level: "info" }, sink) });
});

afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => bundleServer.close(() => resolve()));
});

describe("URLs the server reports", () => {
  it("carry no query string or userinfo in /status, metrics and logs, also after failures", async () => {
    const base = `http://127.0.0.1:${server.httpPort}`;
    const token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhIn0.c2ln";
    await fetch(`${base}/check/public/x`, { headers: { authorization: `Bearer ${token}` } }); // JWKS fetch fails
    answer = "error";
    const failed = await server.bundles.load();
    expect(failed).toMatchObject({ result: "error", code: "MW_BUNDLE_FETCH" });
    const status = await (await fetch(`${base}/status`)).text();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const everything = [status, metrics, failed.result === "error" ? failed.message : "", ...logs].join("\n");
    for (const secret of [SIGNATURE, "X-Amz", PASSWORD, "bundles:", JWKS_SECRET, "token="])
      expect(everything).not.toContain(secret);
    expect(status).toContain("/b/bundle.tar.gz");
    expect(metrics).toMatch(
      /meshward_authz_bundle_info\{revision="good",source="http:\/\/127\.0\.0\.1:\d+\/b\/bundle\.tar\.gz"\} 1/,
    );
    expect(JSON.parse(status).identity.jwks.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/jwks\.json$/);
  });

  it("sends userinfo credentials as Basic authentication", () => {
    expect(seenAuth[0]).toBe(`Basic ${Buffer.from(`bundles:${PASSWORD}`).toString("base64")}`);
  });
});
