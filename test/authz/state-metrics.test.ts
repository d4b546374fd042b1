// The state the alerting rules read from /metrics: when the bundle and the JWKS last loaded and last
// failed, the bundle poll interval, readiness, the earliest certificate expiry of the cached JWKS
// keys (x5c, from certificates made with the openssl CLI here), and the risk store mode only where
// Redis is configured. Time is a fixed clock.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { JSONWebKeySet, JWK } from "jose";
import { AggregatorRegistry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  earliestCertificateExpiry,
  JwksCache,
  type JwksFetchDetail,
} from "../../authz-server/src/identity/jwks-cache.ts";
import { AuthzMetrics } from "../../authz-server/src/ops/metrics.ts";
import { scratchDir } from "./helpers/scratch.ts";
import { newKey } from "./helpers/test-pki.ts";

const T0 = Date.parse("2026-11-28T00:00:00Z");

/** The value of the unlabelled sample `name` in Prometheus text, undefined when absent. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1).replace("+Inf", "Infinity"));
}

/** A self-signed P-256 certificate valid for `days`, as a JWK carrying it in `x5c`. */
function certifiedKey(dir: string, name: string, days: number): { jwk: JWK; notAfterMs: number } {
  execFileSync(
    "openssl",
    ["req", "-x509", ...newKey(name), "-out", `${name}.pem`, "-days", String(days), "-subj", `/CN=${name}`],
    {
      cwd: dir,
      stdio: "pipe",
    },
  );
  const cert = new X509Certificate(readFileSync(join(dir, `${name}.pem`)));
  const der = cert.raw.toString("base64");
  const jwk = { ...(cert.publicKey.export({ format: "jwk" }) as JWK), kid: name, x5c: [der] };
  return { jwk, notAfterMs: Date.parse(cert.validTo) };
}

describe("authz state metrics", () => {
  it("bundle: last success (activated or unchanged) and last failure, poll interval", async () => {
    const now = { ms: T0 };
    const metrics = new AuthzMetrics(() => now.ms);
    metrics.bundlePolling(30_000);
    let text = await metrics.text();
    expect(sample(text, "meshward_authz_bundle_last_success_timestamp_seconds")).toBe(0);
    expect(sample(text, "meshward_authz_bundle_last_failure_timestamp_seconds")).toBe(0);
    expect(sample(text, "meshward_authz_bundle_poll_interval_seconds")).toBe(30);
    metrics.bundleStatus({ active: true, revision: "r1" }, "ok");
    now.ms += 30_000;
    metrics.bundleStatus({ active: true, revision: "r1" }, "error", "MW_BUNDLE_FETCH");
    text = await metrics.text();
    expect(sample(text, "meshward_authz_bundle_last_success_timestamp_seconds")).toBe(T0 / 1000);
    expect(sample(text, "meshward_authz_bundle_last_failure_timestamp_seconds")).toBe(T0 / 1000 + 30);
    now.ms += 30_000;
    metrics.bundleStatus({ active: true, revision: "r1" }, "unchanged");
    text = await metrics.text();
    expect(sample(text, "meshward_authz_bundle_last_success_timestamp_seconds")).toBe(T0 / 1000 + 60);
    expect(sample(text, "meshward_authz_bundle_last_failure_timestamp_seconds")).toBe(T0 / 1000 + 30);
  });

  it("readiness is read at every scrape", async () => {
    const metrics = new AuthzMetrics(() => T0);
    expect(sample(await metrics.text(), "meshward_authz_ready")).toBe(0);
    let ready = false;
    metrics.reportReadiness(() => ready);
    expect(sample(await metrics.text(), "meshward_authz_ready")).toBe(0);
    ready = true;
    expect(sample(await metrics.text(), "meshward_authz_ready")).toBe(1);
  });

  it("JWKS: last success, last failure, key expiry (+Inf until a key carries a certificate)", async () => {
    const now = { ms: T0 };
    const metrics = new AuthzMetrics(() => now.ms);
    let text = await metrics.text();
    expect(sample(text, "meshward_authz_jwks_keys_expiry_timestamp_seconds")).toBe(Number.POSITIVE_INFINITY);
    metrics.jwksFetch("ok", "refresh", T0 + 86_400_000);
    now.ms += 1000;
    metrics.jwksFetch("error", "refresh");
    text = await metrics.text();
    expect(sample(text, "meshward_authz_jwks_last_success_timestamp_seconds")).toBe(T0 / 1000);
    expect(sample(text, "meshward_authz_jwks_last_failure_timestamp_seconds")).toBe(T0 / 1000 + 1);
    // A failed fetch keeps the cached keys, and so their expiry.
    expect(sample(text, "meshward_authz_jwks_keys_expiry_timestamp_seconds")).toBe(T0 / 1000 + 86_400);
    metrics.jwksFetch("ok", "unknown_kid");
    text = await metrics.text();
    expect(sample(text, "meshward_authz_jwks_keys_expiry_timestamp_seconds")).toBe(Number.POSITIVE_INFINITY);
  });

  it("several workers combine as the alerts read them: least ready, stalest bundle, latest failure, earliest expiry", async () => {
    const now = { ms: T0 };
    const [a, b] = [new AuthzMetrics(() => now.ms), new AuthzMetrics(() => now.ms)] as [AuthzMetrics, AuthzMetrics];
    for (const w of [a, b]) w.bundlePolling(30_000);
    a.reportReadiness(() => true);
    b.reportReadiness(() => false);
    a.bundleStatus({ active: true }, "ok");
    b.bundleStatus({ active: true }, "ok");
    a.jwksFetch("ok", "refresh", T0 + 7_200_000);
    now.ms += 60_000;
    a.bundleStatus({ active: true }, "unchanged");
    b.bundleStatus({ active: true }, "error", "MW_BUNDLE_FETCH");
    b.jwksFetch("ok", "refresh", T0 + 3_600_000);
    now.ms += 1000;
    a.jwksFetch("error", "refresh");
    b.riskStoreMode("local");
    a.riskStoreMode("shared");
    const parts = await Promise.all([a.registry.getMetricsAsJSON(), b.registry.getMetricsAsJSON()]);
    const text = await AggregatorRegistry.aggregate(parts as never).metrics();
    expect(sample(text, "meshward_authz_ready")).toBe(0);
    expect(sample(text, "meshward_authz_bundle_last_success_timestamp_seconds")).toBe(T0 / 1000);
    expect(sample(text, "meshward_authz_bundle_last_failure_timestamp_seconds")).toBe(T0 / 1000 + 60);
    expect(sample(text, "meshward_authz_bundle_poll_interval_seconds")).toBe(30);
    expect(sample(text, "meshward_authz_jwks_last_success_timestamp_seconds")).toBe(T0 / 1000 + 60);
    expect(sample(text, "meshward_authz_jwks_last_failure_timestamp_seconds")).toBe(T0 / 1000 + 61);
    expect(sample(text, "meshward_authz_jwks_keys_expiry_timestamp_seconds")).toBe(T0 / 1000 + 3600);
    expect(sample(text, "meshward_authz_risk_store_shared")).toBe(0);
  });

  it("exports the risk store mode only once a Redis store reports one", async () => {
    const metrics = new AuthzMetrics();
    expect(await metrics.text()).not.toContain("meshward_authz_risk_store_shared");
    metrics.riskStoreMode("local");
    expect(sample(await metrics.text(), "meshward_authz_risk_store_shared")).toBe(0);
    metrics.riskStoreMode("shared");
    expect(sample(await metrics.text(), "meshward_authz_risk_store_shared")).toBe(1);
  });
});

describe("JWKS certificate expiry", () => {
  const dir = scratchDir("mw-jwks-x5c");
  const soon = certifiedKey(dir, "soon", 2);
  const later = certifiedKey(dir, "later", 30);
  const bare = { ...soon.jwk, kid: "bare" } as JWK;
  delete bare.x5c;
  let server: Server;
  let url = "";
  let published: JSONWebKeySet = { keys: [] };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(published));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("is the earliest notAfter among the keys' leaf certificates; keys without one are skipped", () => {
    expect(soon.notAfterMs).toBeLessThan(later.notAfterMs);
    expect(earliestCertificateExpiry({ keys: [later.jwk, soon.jwk, bare] })).toBe(soon.notAfterMs);
    expect(earliestCertificateExpiry({ keys: [later.jwk, bare] })).toBe(later.notAfterMs);
    expect(earliestCertificateExpiry({ keys: [bare] })).toBeUndefined();
    // A certificate that does not parse, or not even a key, informs nothing (verification never reads x5c).
    expect(earliestCertificateExpiry({ keys: [{ ...bare, x5c: ["bm90IGEgY2VydA=="] }, later.jwk] })).toBe(
      later.notAfterMs,
    );
    const hostile = [null, 7, { x5c: "not-an-array" }, { x5c: [42] }, { x5c: [] }] as unknown as JWK[];
    expect(earliestCertificateExpiry({ keys: [...hostile, soon.jwk] })).toBe(soon.notAfterMs);
  });

  it("is reported by the cache after each successful fetch, and in its status", async () => {
    const details: JwksFetchDetail[] = [];
    const now = { ms: T0 };
    const cache = new JwksCache({
      url,
      cacheMs: 1000,
      minRefetchMs: 0,
      timeoutMs: 2000,
      maxBytes: 256 * 1024,
      nowMs: () => now.ms,
      onFetch: (_result, _trigger, detail) => details.push(detail),
    });
    published = { keys: [later.jwk, soon.jwk] };
    await cache.getKey({ alg: "ES256", kid: "soon" }, { payload: "", signature: "" }).catch(() => undefined);
    expect(details.at(-1)).toEqual({ keysExpireAtMs: soon.notAfterMs });
    expect(cache.status().keysExpireAt).toBe(new Date(soon.notAfterMs).toISOString());
    published = { keys: [bare] };
    now.ms += 2000;
    await cache.getKey({ alg: "ES256", kid: "bare" }, { payload: "", signature: "" }).catch(() => undefined);
    expect(details.at(-1)).toEqual({});
    expect(cache.status().keysExpireAt).toBeUndefined();
  });
});
