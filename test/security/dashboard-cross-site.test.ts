// Regression: `POST /dashboard/api/traffic` with `content-type: text/plain`, `Origin: http://evil`
// and `Host: evil` was answered 200 — any web page the sandbox's user visited could drive the
// sandbox, and a DNS-rebinding page could read it. The live page's API and the sandbox's control API
// now answer same-origin loopback requests only, and the live page needs a loopback listener.
import { request } from "node:http";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startAuthzServer } from "../../authz-server/src/app/server.ts";
import { defaultConfig, validateConfig } from "../../authz-server/src/config/schema.ts";
import type { SampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { type ControlApi, startControlApi } from "../../scripts/sandbox/control-api.ts";

let control: ControlApi;
let server: RunningServer;
const endpoint = { name: "a", port: 1, delayMs: 0, failWith: undefined, capacity: 0, requests: 0 } as SampleUpstream;

beforeAll(async () => {
  control = await startControlApi({
    endpoints: [endpoint],
    envoy: { listener: "", adminUrl: "" },
    filters: [],
  });
  const config = defaultConfig(repoRoot);
  config.grpc.port = 0;
  config.http.port = 0;
  config.dashboard = { enabled: true, controlUrl: control.url };
  server = await startAuthzServer(config, { logger: pino({ level: "silent" }) });
});
afterAll(async () => {
  await server?.close();
  await control?.close();
});

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let text = "";
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("the live page's API", () => {
  const own = () => `127.0.0.1:${server.httpPort}`;
  const post = (headers: Record<string, string>) =>
    send(server.httpPort, "POST", "/dashboard/api/endpoints/a", headers, '{"mode":"slow"}');

  it("refuses the reported cross-site request (text/plain, Origin evil, Host evil)", async () => {
    const answer = await send(
      server.httpPort,
      "POST",
      "/dashboard/api/traffic",
      { host: "evil", origin: "http://evil", "content-type": "text/plain" },
      '{"running":true}',
    );
    expect(answer.status).toBe(403);
  });

  it("refuses each cross-site trait on its own, and DNS rebinding of reads", async () => {
    const json = { "content-type": "application/json" };
    expect((await post({ host: "evil:80", ...json })).status).toBe(403);
    expect((await post({ host: own(), origin: "http://evil", ...json })).status).toBe(403);
    expect((await post({ host: own(), "content-type": "text/plain" })).status).toBe(403);
    expect((await post({ host: own(), "sec-fetch-site": "cross-site", ...json })).status).toBe(403);
    expect((await send(server.httpPort, "GET", "/dashboard/api/snapshot", { host: "evil.example" })).status).toBe(403);
    expect(endpoint.delayMs).toBe(0);
  });

  it("serves the page's own requests", async () => {
    expect((await send(server.httpPort, "GET", "/dashboard/api/snapshot", { host: own() })).status).toBe(200);
    const answer = await post({
      host: own(),
      origin: `http://${own()}`,
      "content-type": "application/json",
      "sec-fetch-site": "same-origin",
    });
    expect(answer.status).toBe(200);
    expect(endpoint.delayMs).toBeGreaterThan(0);
  });
});

describe("the sandbox's control API", () => {
  const port = () => Number(new URL(control.url).port);

  it("answers the dashboard's server-side requests only", async () => {
    const own = `127.0.0.1:${port()}`;
    const body = '{"mode":"healthy"}';
    const json = { "content-type": "application/json" };
    expect(
      (await send(port(), "POST", "/endpoints/a", { host: own, origin: `http://${own}`, ...json }, body)).status,
    ).toBe(403);
    expect((await send(port(), "POST", "/endpoints/a", { host: "evil", ...json }, body)).status).toBe(403);
    expect((await send(port(), "POST", "/endpoints/a", { host: own, "content-type": "text/plain" }, body)).status).toBe(
      403,
    );
    expect((await send(port(), "GET", "/state", { host: "rebound.example" })).status).toBe(403);
    expect((await send(port(), "POST", "/endpoints/a", { host: own, ...json }, body)).status).toBe(200);
    expect(endpoint.delayMs).toBe(0);
  });
});

describe("configuration", () => {
  it("refuses the live page on a listener that is not loopback", () => {
    const defaults = defaultConfig(repoRoot);
    expect(() => validateConfig({ http: { host: "0.0.0.0" }, dashboard: { enabled: true } }, defaults)).toThrow(
      /dashboard\.enabled: the live page is for loopback listeners only/,
    );
  });
});
