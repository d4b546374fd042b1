// What a client can no longer smuggle to the upstream through a Meshward Envoy, in both ext_authz
// modes: reserved `x-meshward-*` headers (any of them, with no identity or risk configured), Envoy's
// internal `x-envoy-*` headers, a claimed `x-forwarded-proto`, an `x-forwarded-for` taken as the
// client address, and underscore spellings of reserved headers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { type RecordingUpstream, rawRequest, startRecordingUpstream } from "./raw-http.ts";

const FORGED_RESERVED = [
  "x-meshward-subject: admin",
  "x-meshward-risk-level: low",
  "x-meshward-route: admin",
  "x-meshward-action: allow",
  "x-meshward-policy: none",
  "x-meshward-entrypoint: envoy/authz/allow",
  "x-meshward-decision-id: forged",
  "x-meshward-invented: yes",
];
const FORGED_EDGE = [
  "x-forwarded-for: 6.6.6.6",
  "x-forwarded-proto: https",
  "x-envoy-internal: true",
  "x-envoy-original-path: /admin",
  "x-envoy-upstream-rq-timeout-ms: 1",
  "x-envoy-decorator-operation: forged",
];

let upstream: RecordingUpstream;
let authz: AuthzProcess;
const envoys: Record<string, RunningEnvoy> = {};

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  authz = await startAuthzProcess(["--log-level", "warn"]);
  const at = (port: number) => ({ host: "127.0.0.1", port });
  envoys.grpc = await startEnvoy(
    meshEnvoyConfig({ upstreams: [at(upstream.port)], extAuthz: { mode: "grpc", server: at(authz.grpcPort) } }),
    { concurrency: 1 },
  );
  envoys.http = await startEnvoy(
    meshEnvoyConfig({
      upstreams: [at(upstream.port)],
      extAuthz: { mode: "http", server: at(authz.httpPort), pathPrefix: "/check" },
    }),
    { concurrency: 1 },
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(envoys).map((e) => e.stop()));
  await authz?.stop();
  await upstream?.close();
});

describe.each(["grpc", "http"])("through Envoy with ext_authz in %s mode", (mode) => {
  it("strips every forged reserved and internal header, and takes the client address from the connection", async () => {
    const port = (envoys[mode] as RunningEnvoy).listenerPort;
    const before = upstream.received.length;
    const answer = await rawRequest(
      port,
      [`GET /public/edge-${mode} HTTP/1.1`, `host: edge-${mode}`, ...FORGED_RESERVED, ...FORGED_EDGE].join("\r\n"),
    );
    expect(answer.status).toBe(200);
    const received = upstream.received.slice(before);
    expect(received).toHaveLength(1);
    const headers = new Map(received[0]?.headers);
    for (const line of FORGED_RESERVED) expect(headers.has(line.split(":")[0] as string), line).toBe(false);
    for (const name of [
      "x-envoy-internal",
      "x-envoy-original-path",
      "x-envoy-upstream-rq-timeout-ms",
      "x-envoy-decorator-operation",
    ])
      expect(headers.has(name), name).toBe(false);
    expect(headers.get("x-forwarded-proto")).toBe("http");
    // The client's claim stays first in the list; the address Envoy trusts is the peer's, appended
    // last and reported as the external address.
    expect(headers.get("x-forwarded-for")?.split(",").at(-1)?.trim()).not.toBe("6.6.6.6");
    expect(headers.get("x-envoy-external-address")).toBe("127.0.0.1");
  });

  it("refuses underscore spellings of headers (x_meshward_subject reaches CGI upstreams as x-meshward-subject)", async () => {
    const port = (envoys[mode] as RunningEnvoy).listenerPort;
    const before = upstream.received.length;
    const answer = await rawRequest(port, `GET /public/x HTTP/1.1\r\nhost: u\r\nx_meshward_subject: admin`);
    expect(answer.status).toBe(400);
    expect(upstream.received.length).toBe(before);
  });
});
