// Builds Envoy bootstrap configs for Meshward's tests, sandbox and benchmarks. Configs are plain
// objects written as JSON (which Envoy reads like YAML). Every listener binds loopback on port 0 and
// the real port is read back from the admin API, so several Envoys can run side by side.

export interface Endpoint {
  host: string;
  port: number;
}

export interface WasmFilterSpec {
  /** PluginConfig.name, seen by the filter as plugin_name. */
  name: string;
  rootId: string;
  wasmPath: string;
  /** Delivered to proxy_on_configure as bytes (JSON text for Meshward's filters). */
  pluginConfig?: string;
  vmId?: string;
  failurePolicy?: "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";
  /** Delivered to proxy_on_vm_start as bytes (vm_config.configuration, a StringValue). */
  vmConfig?: string;
  /** PluginConfig.allow_on_headers_stop_iteration (Envoy >= 1.35): keep StopIteration as is. */
  allowOnHeadersStopIteration?: boolean;
}

/** An additional STATIC cluster, e.g. the target of a filter's proxy_http_call. */
export interface ExtraCluster {
  name: string;
  endpoints: Endpoint[];
  http2?: boolean;
}

export interface ExtAuthzSpec {
  /** "grpc": envoy.service.auth.v3 Check; "http": Envoy's http_service (raw HTTP) mode. */
  mode: "grpc" | "http";
  server: Endpoint;
  timeoutMs?: number;
  failureModeAllow?: boolean;
  /** http mode: prefix Envoy puts before the original path (the server's checkPathPrefix). */
  pathPrefix?: string;
  /** Send the request body (`with_request_body`). */
  withRequestBody?: { maxRequestBytes: number; allowPartialMessage?: boolean; packAsBytes?: boolean };
  /** Status Envoy answers with when the authz call itself fails. */
  statusOnError?: number;
  /** http mode: headers Envoy sets on the check request (values may use Envoy formatters such as
   *  `%METADATA(ROUTE:meshward:entrypoint)%`); a client-sent header of the same name is overridden. */
  headersToAdd?: Record<string, string>;
  /** TLS from Envoy to the authz server: PEM file paths; client cert/key make it mTLS. */
  tls?: { caFile: string; certFile?: string; keyFile?: string; sni?: string };
}

export interface RouteSpec {
  prefix: string;
  /** ExtAuthzPerRoute check_settings.context_extensions (e.g. the Rego entrypoint for the route). */
  contextExtensions?: Record<string, string>;
  /** Route metadata (`metadata.filter_metadata`), readable by Envoy formatters. */
  metadata?: Record<string, Record<string, string>>;
}

/** How the upstream cluster picks an endpoint. `override-host` honours the endpoint list the
 *  adaptive-lb filter writes into a request header and falls back to round robin. */
export type UpstreamLbPolicy = "round-robin" | "least-request" | "override-host";

export const OVERRIDE_HOST_HEADER = "x-gateway-destination-endpoint";

export interface MeshEnvoyConfig {
  upstreams: Endpoint[];
  upstreamLbPolicy?: UpstreamLbPolicy;
  extAuthz?: ExtAuthzSpec;
  wasmFilters?: WasmFilterSpec[];
  /** Further HTTP filters (raw Envoy config objects), placed after the Wasm filters. */
  extraHttpFilters?: Record<string, unknown>[];
  listenerPort?: number;
  extraClusters?: ExtraCluster[];
  /** Routes to the upstream in order; default one catch-all "/" route. */
  routes?: RouteSpec[];
}

const typed = (type: string, body: Record<string, unknown> = {}) => ({
  "@type": `type.googleapis.com/${type}`,
  ...body,
});

const socket = (e: Endpoint) => ({ socket_address: { address: e.host, port_value: e.port } });

function lbExtension(name: string, type: string, body: Record<string, unknown> = {}) {
  return { typed_extension_config: { name, typed_config: typed(type, body) } };
}

function loadBalancingPolicy(policy: UpstreamLbPolicy): Record<string, unknown> {
  const roundRobin = lbExtension(
    "envoy.load_balancing_policies.round_robin",
    "envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin",
  );
  if (policy === "round-robin") return { policies: [roundRobin] };
  if (policy === "least-request") {
    return {
      policies: [
        lbExtension(
          "envoy.load_balancing_policies.least_request",
          "envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest",
          { choice_count: 2 },
        ),
      ],
    };
  }
  return {
    policies: [
      lbExtension(
        "envoy.load_balancing_policies.override_host",
        "envoy.extensions.load_balancing_policies.override_host.v3.OverrideHost",
        { override_host_sources: [{ header: OVERRIDE_HOST_HEADER }], fallback_policy: { policies: [roundRobin] } },
      ),
    ],
  };
}

function cluster(name: string, endpoints: Endpoint[], http2 = false, lb?: UpstreamLbPolicy): Record<string, unknown> {
  const c: Record<string, unknown> = {
    name,
    type: "STATIC",
    connect_timeout: "1s",
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: endpoints.map((e) => ({ endpoint: { address: socket(e) } })) }],
    },
  };
  if (lb) c.load_balancing_policy = loadBalancingPolicy(lb);
  if (http2) {
    c.typed_extension_protocol_options = {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": typed(
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        { explicit_http_config: { http2_protocol_options: {} } },
      ),
    };
  }
  return c;
}

function wasmFilter(spec: WasmFilterSpec): Record<string, unknown> {
  const config: Record<string, unknown> = {
    name: spec.name,
    root_id: spec.rootId,
    vm_config: {
      vm_id: spec.vmId ?? spec.name,
      runtime: "envoy.wasm.runtime.v8",
      code: { local: { filename: spec.wasmPath } },
    },
    failure_policy: spec.failurePolicy ?? "FAIL_CLOSED",
  };
  if (spec.pluginConfig !== undefined) {
    config.configuration = typed("google.protobuf.StringValue", { value: spec.pluginConfig });
  }
  if (spec.vmConfig !== undefined) {
    (config.vm_config as Record<string, unknown>).configuration = typed("google.protobuf.StringValue", {
      value: spec.vmConfig,
    });
  }
  if (spec.allowOnHeadersStopIteration !== undefined) {
    config.allow_on_headers_stop_iteration = spec.allowOnHeadersStopIteration;
  }
  return {
    name: "envoy.filters.http.wasm",
    typed_config: typed("envoy.extensions.filters.http.wasm.v3.Wasm", { config }),
  };
}

function extAuthzFilter(spec: ExtAuthzSpec): Record<string, unknown> {
  const timeout = `${(spec.timeoutMs ?? 500) / 1000}s`;
  const body: Record<string, unknown> = {
    transport_api_version: "V3",
    failure_mode_allow: spec.failureModeAllow ?? false,
  };
  if (spec.mode === "grpc") {
    body.grpc_service = { envoy_grpc: { cluster_name: "meshward_authz" }, timeout };
  } else {
    const scheme = spec.tls ? "https" : "http";
    body.http_service = {
      server_uri: { uri: `${scheme}://${spec.server.host}:${spec.server.port}`, cluster: "meshward_authz", timeout },
      path_prefix: spec.pathPrefix ?? "/check",
      ...(spec.headersToAdd
        ? {
            authorization_request: {
              headers_to_add: Object.entries(spec.headersToAdd).map(([key, value]) => ({ key, value })),
            },
          }
        : {}),
      authorization_response: {
        allowed_upstream_headers: { patterns: [{ prefix: "x-" }] },
        allowed_client_headers: { patterns: [{ prefix: "x-" }] },
        allowed_client_headers_on_success: { patterns: [{ prefix: "x-policy" }] },
      },
    };
    // Forward every client header to the check, as the gRPC mode does.
    body.allowed_headers = { patterns: [{ safe_regex: { regex: ".*" } }] };
  }
  if (spec.withRequestBody) {
    body.with_request_body = {
      max_request_bytes: spec.withRequestBody.maxRequestBytes,
      allow_partial_message: spec.withRequestBody.allowPartialMessage ?? false,
      pack_as_bytes: spec.withRequestBody.packAsBytes ?? false,
    };
  }
  if (spec.statusOnError !== undefined) body.status_on_error = { code: spec.statusOnError };
  return {
    name: "envoy.filters.http.ext_authz",
    typed_config: typed("envoy.extensions.filters.http.ext_authz.v3.ExtAuthz", body),
  };
}

function upstreamTls(tls: NonNullable<ExtAuthzSpec["tls"]>): Record<string, unknown> {
  const common: Record<string, unknown> = { validation_context: { trusted_ca: { filename: tls.caFile } } };
  if (tls.certFile && tls.keyFile) {
    common.tls_certificates = [
      { certificate_chain: { filename: tls.certFile }, private_key: { filename: tls.keyFile } },
    ];
  }
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: typed("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", {
      common_tls_context: common,
      ...(tls.sni ? { sni: tls.sni } : {}),
    }),
  };
}

function route(spec: RouteSpec): Record<string, unknown> {
  const r: Record<string, unknown> = { match: { prefix: spec.prefix }, route: { cluster: "upstream" } };
  if (spec.metadata) r.metadata = { filter_metadata: spec.metadata };
  if (spec.contextExtensions) {
    r.typed_per_filter_config = {
      "envoy.filters.http.ext_authz": typed("envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute", {
        check_settings: { context_extensions: spec.contextExtensions },
      }),
    };
  }
  return r;
}

export function meshEnvoyConfig(spec: MeshEnvoyConfig): Record<string, unknown> {
  const httpFilters = [
    ...(spec.extAuthz ? [extAuthzFilter(spec.extAuthz)] : []),
    ...(spec.wasmFilters ?? []).map(wasmFilter),
    ...(spec.extraHttpFilters ?? []),
    { name: "envoy.filters.http.router", typed_config: typed("envoy.extensions.filters.http.router.v3.Router") },
  ];
  const clusters = [cluster("upstream", spec.upstreams, false, spec.upstreamLbPolicy)];
  if (spec.extAuthz) {
    const authz = cluster("meshward_authz", [spec.extAuthz.server], spec.extAuthz.mode === "grpc");
    if (spec.extAuthz.tls) authz.transport_socket = upstreamTls(spec.extAuthz.tls);
    clusters.push(authz);
  }
  for (const extra of spec.extraClusters ?? []) clusters.push(cluster(extra.name, extra.endpoints, extra.http2));
  return ingressBootstrap(spec.listenerPort ?? 0, (spec.routes ?? [{ prefix: "/" }]).map(route), httpFilters, clusters);
}

/**
 * How every Envoy that Meshward generates (and every shipped Envoy YAML, which are generated from
 * this) treats a request before ext_authz, the Wasm filters, routing and the upstream see it. An
 * authorization point and the upstream must agree on what a path means; these make Envoy decide it
 * once, for all of them (test/security/path-bypass.e2e.test.ts checks it through real Envoy):
 *   normalize_path                 RFC 3986 normalisation: dot segments resolved, percent-encoded
 *                                  unreserved characters decoded (`/public/%2e%2e/private` is
 *                                  `/private` for the policy, the route and the upstream alike).
 *   merge_slashes                  `//` becomes `/`: `/public//../private` cannot hide a segment.
 *   path_with_escaped_slashes_action UNESCAPE_AND_REDIRECT: a path with `%2F`/`%5C` is redirected
 *                                  to its unescaped form, so no upstream that decodes them sees a
 *                                  different path than the policy did (Istio's
 *                                  DECODE_AND_MERGE_SLASHES does the same).
 *   use_remote_address, xff_num_trusted_hops 0
 *                                  the client is the TCP peer: a client's x-forwarded-for is not
 *                                  trusted, x-forwarded-proto is set by Envoy, and Envoy's internal
 *                                  x-envoy-* request headers are removed from external requests.
 *   internal_address_config {}     no address is internal, so loopback and private-network clients
 *                                  are external too: an edge has no clients to trust.
 *   headers_with_underscores_action REJECT_REQUEST: `x_meshward_subject` would reach CGI-style
 *                                  upstreams as the same variable as `x-meshward-subject`.
 */
export const HARDENED_CONNECTION_MANAGER = {
  normalize_path: true,
  merge_slashes: true,
  path_with_escaped_slashes_action: "UNESCAPE_AND_REDIRECT",
  use_remote_address: true,
  xff_num_trusted_hops: 0,
  internal_address_config: {},
  common_http_protocol_options: { headers_with_underscores_action: "REJECT_REQUEST" },
} as const;

/** Admin on a kernel-chosen loopback port and one HTTP listener "ingress" with one virtual host. */
function ingressBootstrap(
  listenerPort: number,
  routes: unknown[],
  httpFilters: unknown[],
  clusters: unknown[] = [],
): Record<string, unknown> {
  const connectionManager = typed("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", {
    stat_prefix: "ingress",
    ...HARDENED_CONNECTION_MANAGER,
    route_config: { virtual_hosts: [{ name: "all", domains: ["*"], routes }] },
    http_filters: httpFilters,
  });
  return {
    admin: { address: socket({ host: "127.0.0.1", port: 0 }) },
    static_resources: {
      listeners: [
        {
          name: "ingress",
          address: socket({ host: "127.0.0.1", port: listenerPort }),
          filter_chains: [
            { filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: connectionManager }] },
          ],
        },
      ],
      clusters,
    },
  };
}

/** An Envoy that answers every request itself (direct_response): an upstream that costs almost
 *  nothing, for benchmarks that measure another Envoy's CPU. */
export function directResponseEnvoyConfig(body = "ok"): Record<string, unknown> {
  return ingressBootstrap(
    0,
    [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: body } } }],
    [{ name: "envoy.filters.http.router", typed_config: typed("envoy.extensions.filters.http.router.v3.Router") }],
  );
}

/** Envoy's native local rate limit filter with one token bucket shared by all workers. The bucket
 *  gains `tokensPerSecond × fillIntervalMs / 1000` tokens every `fillIntervalMs` (Envoy's minimum
 *  is 50 ms); a short interval approximates a continuous refill. */
export function nativeLocalRateLimitFilter(
  tokensPerSecond: number,
  burst: number,
  fillIntervalMs = 1000,
): Record<string, unknown> {
  const always = (key: string) => ({ runtime_key: key, default_value: { numerator: 100, denominator: "HUNDRED" } });
  return {
    name: "envoy.filters.http.local_ratelimit",
    typed_config: typed("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit", {
      stat_prefix: "native_local_ratelimit",
      token_bucket: {
        max_tokens: burst,
        tokens_per_fill: Math.max(1, Math.round((tokensPerSecond * fillIntervalMs) / 1000)),
        fill_interval: `${fillIntervalMs / 1000}s`,
      },
      filter_enabled: always("local_rate_limit_enabled"),
      filter_enforced: always("local_rate_limit_enforced"),
    }),
  };
}
