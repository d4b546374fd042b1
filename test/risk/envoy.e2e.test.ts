// The risk engine in the real request path: real Envoy (gRPC ext_authz) → the authz server process
// with the signed zero-trust bundle, JWTs from a loopback identity provider, in-memory risk state.
// Proves: the risk score and level reach the upstream as headers and Envoy as dynamic metadata; a
// burst of failed logins for a user makes the policy step that user up (401 + WWW-Authenticate)
// until a high-assurance login; a revocation posted to the admin endpoint blocks the subject on
// the very next request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { buildZeroTrust, postEvent, startIdp, type TestIdp, writeAuthzConfig } from "../support/zero-trust-stack.ts";

let idp: TestIdp | undefined;
let upstream: SampleUpstream | undefined;
let authz: AuthzProcess | undefined;
let envoy: RunningEnvoy | undefined;

/** Envoy copies ext_authz's dynamic metadata into response headers, so the test can see it. */
const METADATA_HEADERS = [
  { header: { key: "x-test-md-risk-level", value: "%DYNAMIC_METADATA(envoy.filters.http.ext_authz:risk_level)%" } },
  { header: { key: "x-test-md-risk-score", value: "%DYNAMIC_METADATA(envoy.filters.http.ext_authz:risk_score)%" } },
];

/** Adds METADATA_HEADERS to every route of the generated config. */
function withMetadataHeaders(node: unknown): void {
  if (Array.isArray(node)) for (const item of node) withMetadataHeaders(item);
  else if (node && typeof node === "object") {
    const object = node as Record<string, unknown>;
    if (object.match && object.route) object.response_headers_to_add = METADATA_HEADERS;
    for (const value of Object.values(object)) withMetadataHeaders(value);
  }
}

beforeAll(async () => {
  idp = await startIdp();
  upstream = await startSampleUpstream("orders");
  authz = await startAuthzProcess([
    "--config",
    writeAuthzConfig({ zeroTrust: buildZeroTrust(), jwksUrl: idp.jwksUrl }),
  ]);
  const config = meshEnvoyConfig({
    upstreams: [{ host: "127.0.0.1", port: upstream.port }],
    extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port: authz.grpcPort }, timeoutMs: 5000 },
  });
  withMetadataHeaders(config);
  envoy = await startEnvoy(config);
});

afterAll(async () => {
  await envoy?.stop();
  await authz?.stop();
  await upstream?.close();
  await idp?.close();
});

const get = (path: string, token?: string) =>
  fetch(`http://127.0.0.1:${envoy?.listenerPort}${path}`, {
    headers: { "user-agent": "risk-e2e/1", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });

type Echo = { headers: Record<string, string> };

describe("risk through real Envoy and the zero-trust bundle", () => {
  it("sends the risk score and level upstream and as dynamic metadata", async () => {
    const res = await get("/api/orders", await idp?.token("alice"));
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.headers["x-meshward-subject"]).toBe("alice");
    // A plain password login (no acr/amr) costs the token-assurance points: 20 → low.
    expect(echo.headers["x-meshward-risk-score"]).toBe("20");
    expect(echo.headers["x-meshward-risk-level"]).toBe("low");
    expect(res.headers.get("x-test-md-risk-level")).toBe("low");
    expect(res.headers.get("x-test-md-risk-score")).toBe("20");
  });

  it("steps a user up after a burst of failed logins, until a high-assurance login", async () => {
    for (let i = 0; i < 10; i++) {
      const failed = await get("/api/orders", await idp?.forged("alice"));
      expect(failed.status).toBe(401);
      expect(failed.headers.get("www-authenticate")).toBe('Bearer realm="meshward"');
    }
    const before = upstream?.requests ?? 0;
    const stepUp = await get("/api/orders", await idp?.token("alice"));
    expect(stepUp.status).toBe(401);
    expect(stepUp.headers.get("x-meshward-reason")).toBe("step_up_required");
    expect(stepUp.headers.get("www-authenticate")).toBe(
      'Bearer realm="meshward", error="insufficient_user_authentication", error_description="step_up_required", acr_values="urn:meshward:acr:mfa"',
    );
    expect(upstream?.requests).toBe(before);
    const mfa = await get("/api/orders", await idp?.token("alice", { acr: "urn:meshward:acr:mfa" }));
    expect(mfa.status).toBe(200);
    const echo = (await mfa.json()) as Echo;
    expect(echo.headers["x-meshward-risk-level"]).toBe("high");
    expect(echo.headers["x-meshward-risk-reasons"]).toContain("failed-auth-velocity");
    // Another user on the same address is not stepped up.
    expect((await get("/api/orders", await idp?.token("carol", { amr: ["mfa"] }))).status).toBe(200);
  });

  it("blocks a subject on the very next request after a revocation event", async () => {
    const bob = await idp?.token("bob", { amr: ["mfa"] });
    expect((await get("/api/orders", bob)).status).toBe(200);
    const event = { event_type: "session-revoked", subject: { format: "subject", id: "bob" } };
    expect((await postEvent(authz?.httpPort as number, event, "not-the-admin-token")).status).toBe(401);
    expect((await get("/api/orders", bob)).status).toBe(200);
    expect((await postEvent(authz?.httpPort as number, event)).status).toBe(202);
    const before = upstream?.requests ?? 0;
    const denied = await get("/api/orders", bob);
    expect(denied.status).toBe(403);
    expect(denied.headers.get("x-meshward-reason")).toBe("risk_too_high");
    expect(upstream?.requests).toBe(before);
  });
});
