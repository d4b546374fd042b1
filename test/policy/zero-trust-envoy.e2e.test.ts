// The zero-trust bundle in the real request path: real Envoy asks the Meshward authz server (its
// own process, gRPC Check v3) which evaluates the built bundle. Proves that the result object's
// allow headers reach the upstream and that deny status, headers and body reach the client.
// Callers here are anonymous (plain HTTP on loopback, no JWT, no mTLS peer), so the bundle uses
// its default risk level (medium → allow_with_headers for public routes).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

describe("zero-trust bundle through real Envoy and the authz server", () => {
  let out = "";
  let upstream: SampleUpstream | undefined;
  let authz: AuthzProcess | undefined;
  let envoy: RunningEnvoy | undefined;
  let base = "";

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "meshward-zt-e2e-"));
    const build = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/build-policy.ts", "--only", "zero-trust", "--out", out],
      { cwd: repoRoot, encoding: "utf8" },
    );
    expect(build.status, build.stdout + build.stderr).toBe(0);
    upstream = await startSampleUpstream("orders");
    authz = await startAuthzProcess([
      "--bundle",
      join(out, "zero-trust.tar.gz"),
      "--entrypoint",
      "meshward/zerotrust/decision",
      // The bundle is signed; like OPA, the server refuses a signed bundle it cannot verify.
      "--verification-key",
      join(out, "dev-keys/zero-trust.verification-key.pem"),
    ]);
    envoy = await startEnvoy(
      meshEnvoyConfig({
        upstreams: [{ host: "127.0.0.1", port: upstream.port }],
        extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port: authz.grpcPort } },
      }),
    );
    base = `http://127.0.0.1:${envoy.listenerPort}`;
  });

  afterAll(async () => {
    await envoy?.stop();
    await authz?.stop();
    await upstream?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("allows a public route and hands the policy's headers to the upstream", async () => {
    const res = await fetch(`${base}/public/logo.svg`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { headers: Record<string, string> };
    expect(body.headers).toMatchObject({
      "x-meshward-policy": "zero-trust",
      "x-meshward-route": "public",
      "x-meshward-principal-type": "anonymous",
      "x-meshward-risk-reasons": "none",
    });
  });

  it("asks an anonymous caller on a protected route to authenticate (401 + WWW-Authenticate)", async () => {
    const before = upstream?.requests ?? 0;
    const res = await fetch(`${base}/api/orders`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="meshward"');
    expect(res.headers.get("x-meshward-reason")).toBe("authentication_required");
    expect(await res.json()).toEqual({ error: "authentication_required" });
    expect(upstream?.requests).toBe(before);
  });

  it("refuses an ambiguous path Envoy forwards (400) and a method the public route does not list", async () => {
    // Envoy itself redirects an encoded slash to its unescaped form (path_with_escaped_slashes_action)…
    const slash = await fetch(`${base}/public/a%2F..%2Fadmin`, { redirect: "manual" });
    expect(slash.status).toBe(307);
    // …and forwards a double-encoded dot segment, which the policy refuses.
    const tricky = await fetch(`${base}/public/%252e%252e/admin`);
    expect(tricky.status).toBe(400);
    expect(tricky.headers.get("x-meshward-reason")).toBe("path_not_normalized");
    const post = await fetch(`${base}/public/logo.svg`, { method: "POST", body: "x" });
    expect(post.status).toBe(401);
  });
});
