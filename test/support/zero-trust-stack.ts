// Shared setup of the risk e2e tests: the signed zero-trust bundle built into a scratch directory,
// an identity provider on loopback (ES256 key generated at test time, JWKS over HTTP), the authz
// server's config with the risk section, and an ext_authz HTTP-mode check client.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { repoRoot } from "../../scripts/lib/tools.ts";
import { scratchDir } from "../authz/helpers/scratch.ts";

export const ISSUER = "https://idp.risk.test";
export const AUDIENCE = "shop";
export const ADMIN_TOKEN = "risk-e2e-admin-token-7f3a9c1d";
/** A customer who may read orders (policy/zero-trust/meshward/config/data.json `orders-read`). */
export const CUSTOMER = { roles: ["customer"], scope: "orders:read orders:write catalog:read" };

export interface ZeroTrustBundle {
  bundle: string;
  verificationKey: string;
}

/** `scripts/build-policy.ts --only zero-trust` into a fresh scratch directory (~1.5 s). */
export function buildZeroTrust(): ZeroTrustBundle {
  const out = scratchDir("mw-risk-zt");
  const build = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/build-policy.ts", "--only", "zero-trust", "--out", out],
    { cwd: repoRoot, encoding: "utf8" },
  );
  if (build.status !== 0) throw new Error(`zero-trust build failed: ${build.stdout}${build.stderr}`);
  return {
    bundle: join(out, "zero-trust.tar.gz"),
    verificationKey: join(out, "dev-keys/zero-trust.verification-key.pem"),
  };
}

export interface TestIdp {
  jwksUrl: string;
  /** A token for `sub` with the customer's roles, valid 5 min, `iat` now. */
  token(sub: string, claims?: Record<string, unknown>): Promise<string>;
  /** Same claims, signed by a key the JWKS does not list (a failed login for `sub`). */
  forged(sub: string): Promise<string>;
  close(): Promise<void>;
}

export async function startIdp(): Promise<TestIdp> {
  const key = await generateKeyPair("ES256", { extractable: true });
  const rogue = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(key.publicKey)), kid: "k1", alg: "ES256" };
  const server: Server = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sign = (
    sub: string,
    claims: Record<string, unknown>,
    privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"],
  ) =>
    new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub, ...CUSTOMER, ...claims })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
  return {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    token: (sub, claims = {}) => sign(sub, claims, key.privateKey),
    forged: (sub) => sign(sub, {}, rogue.privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface AuthzConfigOptions {
  zeroTrust: ZeroTrustBundle;
  jwksUrl: string;
  redisUrl?: string;
  /** The engine's own config (`risk.config`). */
  riskConfig?: Record<string, unknown>;
}

/** Writes the authz server's YAML config (zero-trust decision entrypoint, JWT identity, risk). */
export function writeAuthzConfig(options: AuthzConfigOptions): string {
  const path = join(scratchDir("mw-risk-config"), "authz.yaml");
  const risk = {
    config: options.riskConfig ?? {},
    // A loaded test machine can stall Redis replies past the 100 ms default; the kill below is a
    // closed connection, detected at once whatever this timeout.
    ...(options.redisUrl ? { redisUrl: options.redisUrl, redisCommandTimeoutMs: 1000 } : {}),
    admin: { token: ADMIN_TOKEN },
  };
  const config = {
    bundle: {
      source: options.zeroTrust.bundle,
      signing: { keys: { default: { keyFile: options.zeroTrust.verificationKey } } },
    },
    policy: { defaultEntrypoint: "meshward/zerotrust/decision" },
    check: { timeoutMs: 5000 },
    identity: { jwt: { jwksUrl: options.jwksUrl, issuer: ISSUER, audience: [AUDIENCE], algorithms: ["ES256"] } },
    risk,
    logging: { level: "warn", decisions: { enabled: false } },
  };
  writeFileSync(path, JSON.stringify(config, null, 2)); // YAML 1.2 reads JSON
  return path;
}

export interface CheckAnswer {
  status: number;
  headers: Headers;
}

/** One ext_authz HTTP-mode check (as Envoy's `http_service` sends it) of `GET path`. */
export async function checkHttp(httpPort: number, path: string, token?: string): Promise<CheckAnswer> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/check${path}`, {
    headers: { "user-agent": "risk-e2e/1", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  await res.arrayBuffer();
  return { status: res.status, headers: res.headers };
}

/** `POST /admin/v1/events` with the admin token (or another one). */
export async function postEvent(httpPort: number, body: unknown, token = ADMIN_TOKEN): Promise<Response> {
  return fetch(`http://127.0.0.1:${httpPort}/admin/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** Polls `probe` every 25 ms until it holds; bounded by `timeoutMs`. */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One metric's value from a Prometheus text page (sum over the series matching `labels`). */
export async function metricValue(httpPort: number, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (labels && !line.includes(labels))) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}
