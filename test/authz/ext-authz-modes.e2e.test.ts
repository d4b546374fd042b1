// The same opa-envoy-style policy decides identically through real Envoy in both ext_authz modes:
// gRPC (grpc_service) and HTTP (http_service). One authz process serves both listeners.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { buildBundle } from "./helpers/opa-bundle.ts";

const TOKEN = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.c2ln"; // sub alice, exp 2100

let upstream: SampleUpstream | undefined;
let authz: AuthzProcess | undefined;
const envoys: Record<string, RunningEnvoy | undefined> = {};

beforeAll(async () => {
  const bundle = buildBundle("policy/testdata/opa-envoy", { entrypoints: ["envoy/authz/allow", "envoy/authz/admin"] });
  upstream = await startSampleUpstream("app");
  authz = await startAuthzProcess(["--bundle", bundle], {
    env: { MESHWARD_AUTHZ_HTTP_ENTRYPOINT_HEADER: "x-meshward-entrypoint" },
  });
  const routes = [
    {
      prefix: "/admin",
      contextExtensions: { meshward_entrypoint: "envoy/authz/admin", team: "ops" },
      // HTTP mode has no context_extensions: Envoy sends the route's entrypoint in a header instead.
      metadata: { meshward: { entrypoint: "envoy/authz/admin" } },
    },
    { prefix: "/" },
  ];
  const up = [{ host: "127.0.0.1", port: upstream.port }];
  const body = { maxRequestBytes: 8192, allowPartialMessage: true };
  const [grpc, http] = await Promise.all([
    startEnvoy(
      meshEnvoyConfig({
        upstreams: up,
        routes,
        extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port: authz.grpcPort }, withRequestBody: body },
      }),
    ),
    startEnvoy(
      meshEnvoyConfig({
        upstreams: up,
        routes,
        extAuthz: {
          mode: "http",
          server: { host: "127.0.0.1", port: authz.httpPort },
          pathPrefix: "/check",
          headersToAdd: { "x-meshward-entrypoint": "%METADATA(ROUTE:meshward:entrypoint)%" },
          withRequestBody: body,
        },
      }),
    ),
  ]);
  envoys.grpc = grpc;
  envoys.http = http;
});

afterAll(async () => {
  await Promise.all([envoys.grpc?.stop(), envoys.http?.stop()]);
  await authz?.stop();
  await upstream?.close();
});

interface Echo {
  path: string;
  headers: Record<string, string>;
}

for (const mode of ["grpc", "http"] as const) {
  describe(`ext_authz ${mode} mode through real Envoy`, () => {
    const url = (path: string) => `http://127.0.0.1:${envoys[mode]?.listenerPort}${path}`;

    it("allows with the policy's upstream headers, header removal and response headers", async () => {
      const res = await fetch(url("/people/alice?debug=1"), {
        headers: { authorization: `Bearer ${TOKEN}`, "x-internal": "secret", "x-meshward-subject": "forged" },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-policy")).toBe("people");
      const echo = (await res.json()) as Echo;
      expect(echo.headers["x-user"]).toBe("alice");
      expect(echo.headers).not.toHaveProperty("x-internal");
      expect(echo.headers).not.toHaveProperty("x-meshward-subject"); // forged copy stripped
      if (mode === "grpc") expect(echo.path).toBe("/people/alice?via=opa"); // no query mutation in HTTP mode
    });

    it("parses the JSON body Envoy forwards", async () => {
      const small = await fetch(url("/orders"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ amount: 42 }),
      });
      expect(small.status).toBe(200);
      expect(((await small.json()) as Echo).headers["x-order-amount"]).toBe("42");
      const large = await fetch(url("/orders"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ amount: 500 }),
      });
      expect(large.status).toBe(403);
      expect(large.headers.get("x-denied-by")).toBe("opa-envoy-testdata");
      expect(await large.text()).toBe("denied by opa-envoy style policy");
    });

    it("evaluates the entrypoint the route names in context_extensions", async () => {
      const res = await fetch(url("/admin/cache"), { method: "DELETE", headers: { "x-admin": "yes" } });
      expect(res.status).toBe(200);
      const no = await fetch(url("/admin/cache"), { method: "DELETE" });
      expect(no.status).toBe(403);
    });

    it("denies with a coded reason when the policy tries header injection", async () => {
      const before = upstream?.requests ?? 0;
      const res = await fetch(url("/echo?echo=a%0d%0aset-cookie:%20x=1"));
      expect(res.status).toBe(403);
      expect(res.headers.get("x-meshward-reason")).toBe("MW_POLICY_RESULT");
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(upstream?.requests).toBe(before);
    });
  });
}

describe("operations endpoints", () => {
  it("is ready with a bundle and counts checks by result and reason", async () => {
    const base = `http://127.0.0.1:${authz?.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ ready: true });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /meshward_authz_checks_total\{result="deny",reason="MW_POLICY_RESULT",dry_run="false"\} [1-9]/,
    );
    expect(metrics).toMatch(/meshward_authz_bundle_active 1/);
  });
});
