// Representative inputs for the zero-trust bundle, in the exact shape the authz server builds
// (opa-envoy's input from authz-server/src/translate/input.ts plus input.meshward), each with the
// decision fields that must come out. Used by the Wasm test; policy/README.md shows the first one.

export interface ZeroTrustCase {
  name: string;
  input: Record<string, unknown>;
  expect: {
    allowed: boolean;
    http_status?: number;
    /** Headers that must be present with exactly these values (others may exist). */
    headers: Record<string, string>;
  };
}

const FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";

function segments(path: string): string[] {
  const raw = path.split("?")[0] ?? "";
  return raw.replace(/^\//, "").split("/").map(decodeURIComponent);
}

/** opa-envoy-shaped input for `method path`; `source` is the mTLS peer principal, if any. */
export function envoyInput(method: string, path: string, source?: string): Record<string, unknown> {
  const attributes: Record<string, unknown> = {
    request: {
      http: {
        id: "9254417582906352117",
        method,
        headers: { ":authority": "shop.example", ":method": method, ":path": path, "user-agent": "curl/8.5.0" },
        path,
        host: "shop.example",
        scheme: "http",
        protocol: "HTTP/1.1",
      },
    },
    destination: {
      address: { socketAddress: { address: "10.0.4.17", portValue: 8080 } },
      principal: "spiffe://cluster.local/ns/shop/sa/orders",
    },
  };
  if (source)
    attributes.source = { address: { socketAddress: { address: "10.0.2.9", portValue: 51412 } }, principal: source };
  return {
    attributes,
    parsed_path: segments(path),
    parsed_query: {},
    parsed_body: null,
    truncated_body: false,
    version: { encoding: "protojson", ext_authz: "v3" },
  };
}

type Identity = Record<string, unknown>;

function withMeshward(input: Record<string, unknown>, identity: Identity, level: string, reasons: unknown[] = []) {
  const score = { low: 8, medium: 45, high: 72, critical: 95 }[level] ?? 50;
  return { ...input, meshward: { identity, risk: { score, level, reasons } } };
}

function jwtUser(claims: Record<string, unknown>): Identity {
  return {
    subject: "alice",
    issuer: "https://idp.example",
    audience: ["shop"],
    claims: { sub: "alice", iss: "https://idp.example", ...claims },
    authenticated: true,
    method: "jwt",
  };
}

const CUSTOMER = { roles: ["customer"], scope: "orders:read orders:write catalog:read" };

function thermostat(firmware: string): Identity {
  return jwtUser({ device: { id: "t-1", class: "thermostat", firmware, attested: true, patch_age_days: 3 } });
}

export const zeroTrustCases: ZeroTrustCase[] = [
  {
    name: "customer reads an order",
    input: withMeshward(envoyInput("GET", "/api/orders/7?expand=items", FRONTEND), jwtUser(CUSTOMER), "low"),
    expect: { allowed: true, headers: { "x-meshward-route": "orders-read", "x-meshward-principal-type": "user" } },
  },
  {
    name: "medium risk passes with the risk signals",
    input: withMeshward(envoyInput("GET", "/api/orders", FRONTEND), jwtUser(CUSTOMER), "medium", [
      { signal: "new_device", contribution: 20, detail: "first seen" },
      { signal: "geo_velocity", contribution: 25, detail: "900 km/h" },
    ]),
    expect: { allowed: true, headers: { "x-meshward-risk-reasons": "geo_velocity,new_device" } },
  },
  {
    name: "admin with a password only is asked to step up",
    input: withMeshward(envoyInput("GET", "/admin/users"), jwtUser({ roles: ["admin"], amr: ["pwd"] }), "low"),
    expect: {
      allowed: false,
      http_status: 401,
      headers: {
        "x-meshward-reason": "insufficient_assurance",
        "www-authenticate":
          'Bearer realm="meshward", error="insufficient_user_authentication", error_description="insufficient_assurance", acr_values="urn:meshward:acr:mfa"',
      },
    },
  },
  {
    name: "admin with MFA passes",
    input: withMeshward(
      envoyInput("DELETE", "/admin/users/9"),
      jwtUser({ roles: ["admin"], amr: ["pwd", "mfa"] }),
      "low",
    ),
    expect: { allowed: true, headers: { "x-meshward-route": "admin" } },
  },
  {
    name: "anonymous caller on a protected route gets a Bearer challenge",
    input: withMeshward(envoyInput("GET", "/api/orders"), { authenticated: false, method: "none", claims: {} }, "low"),
    expect: { allowed: false, http_status: 401, headers: { "www-authenticate": 'Bearer realm="meshward"' } },
  },
  {
    name: "allow-listed service at high risk is throttled",
    input: withMeshward(
      envoyInput("POST", "/api/orders", FRONTEND),
      { spiffe_id: FRONTEND, authenticated: true, method: "mtls", claims: {} },
      "high",
    ),
    expect: { allowed: true, headers: { "x-meshward-risk-level": "high", "x-meshward-action": "throttle" } },
  },
  {
    name: "service outside the allow-list is refused",
    input: withMeshward(
      envoyInput("DELETE", "/api/orders/7", FRONTEND),
      { spiffe_id: FRONTEND, authenticated: true, method: "mtls", claims: {} },
      "low",
    ),
    expect: { allowed: false, http_status: 403, headers: { "x-meshward-reason": "service_not_allowed" } },
  },
  {
    name: "plain opa-envoy input (no input.meshward) from Prometheus",
    input: envoyInput("GET", "/metrics", "spiffe://cluster.local/ns/monitoring/sa/prometheus"),
    expect: { allowed: true, headers: { "x-meshward-route": "monitoring-scrape" } },
  },
  {
    name: "thermostat with firmware 2.10.0 (numeric, not string, comparison)",
    input: withMeshward(envoyInput("POST", "/iot/telemetry"), thermostat("2.10.0"), "low"),
    expect: { allowed: true, headers: { "x-meshward-route": "telemetry-ingest" } },
  },
  {
    name: "thermostat with outdated firmware fails posture",
    input: withMeshward(envoyInput("POST", "/iot/telemetry"), thermostat("2.3.9"), "low"),
    expect: { allowed: false, http_status: 403, headers: { "x-meshward-reason": "device_posture" } },
  },
  {
    name: "critical risk denies",
    input: withMeshward(envoyInput("GET", "/api/orders"), jwtUser(CUSTOMER), "critical"),
    expect: { allowed: false, http_status: 403, headers: { "x-meshward-reason": "risk_too_high" } },
  },
  {
    name: "encoded slash in a segment is refused",
    input: withMeshward(envoyInput("GET", "/public/a%2F..%2Fadmin"), jwtUser(CUSTOMER), "low"),
    expect: { allowed: false, http_status: 400, headers: { "x-meshward-reason": "path_not_normalized" } },
  },
];
