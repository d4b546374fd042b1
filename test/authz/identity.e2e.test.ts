// Identity through real Envoy: a JWT verified against a JWKS served on loopback reaches the policy
// as input.meshward.identity, and the verified subject reaches the upstream as x-meshward-subject
// (a client-sent copy never does).
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { type RunningEnvoy, startEnvoy } from "../../scripts/lib/envoy.ts";
import { meshEnvoyConfig } from "../../scripts/lib/envoy-config.ts";
import { type SampleUpstream, startSampleUpstream } from "../../scripts/lib/sample-upstream.ts";
import { buildBundle } from "./helpers/opa-bundle.ts";
import { scratchDir } from "./helpers/scratch.ts";

let jwks: Server;
let upstream: SampleUpstream | undefined;
let authz: AuthzProcess | undefined;
let envoy: RunningEnvoy | undefined;
let key: Awaited<ReturnType<typeof generateKeyPair>>;

const token = (claims: Record<string, unknown>) =>
  new SignJWT({ iss: "https://idp.test", aud: "meshward", ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setExpirationTime("5m")
    .sign(key.privateKey);

beforeAll(async () => {
  key = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(key.publicKey)), kid: "k1", alg: "ES256" };
  jwks = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
  const bundle = buildBundle("policy/testdata/identity", { entrypoints: ["meshward/authz/allow"] });
  const config = join(scratchDir("mw-identity"), "authz.yaml");
  writeFileSync(
    config,
    `bundle: { source: ${bundle} }
policy: { defaultEntrypoint: meshward/authz/allow }
check: { timeoutMs: 5000 }
identity:
  jwt:
    jwksUrl: http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json
    issuer: https://idp.test
    audience: meshward
    algorithms: [ES256]
`,
  );
  upstream = await startSampleUpstream("app");
  authz = await startAuthzProcess(["--config", config]);
  envoy = await startEnvoy(
    meshEnvoyConfig({
      upstreams: [{ host: "127.0.0.1", port: upstream.port }],
      // The first check fetches the JWKS: allow for a loaded machine.
      extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port: authz.grpcPort }, timeoutMs: 5000 },
    }),
  );
});

afterAll(async () => {
  await envoy?.stop();
  await authz?.stop();
  await upstream?.close();
  await new Promise<void>((resolve) => jwks.close(() => resolve()));
});

describe("JWT identity through real Envoy", () => {
  const url = (path: string) => `http://127.0.0.1:${envoy?.listenerPort}${path}`;

  it("lets a verified subject in and tells the upstream who it is", async () => {
    const res = await fetch(url("/api/orders"), {
      headers: { authorization: `Bearer ${await token({ sub: "alice" })}`, "x-meshward-subject": "mallory" },
    });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as { headers: Record<string, string> };
    expect(echo.headers["x-meshward-subject"]).toBe("alice");
  });

  it("denies missing, invalid and insufficient credentials", async () => {
    expect((await fetch(url("/api/orders"))).status).toBe(403);
    const other = await new SignJWT({ sub: "alice", iss: "https://idp.test", aud: "meshward" })
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("a-guessed-shared-secret-of-32-bytes!"));
    expect((await fetch(url("/api/orders"), { headers: { authorization: `Bearer ${other}` } })).status).toBe(403);
    const alice = await token({ sub: "alice" });
    expect((await fetch(url("/api/admin"), { headers: { authorization: `Bearer ${alice}` } })).status).toBe(403);
    const admin = await token({ sub: "root", admin: true });
    expect((await fetch(url("/api/admin"), { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
  });

  it("strips a forged subject header on anonymous requests", async () => {
    const res = await fetch(url("/public/x"), { headers: { "x-meshward-subject": "mallory" } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { headers: Record<string, string> }).headers).not.toHaveProperty(
      "x-meshward-subject",
    );
  });
});
