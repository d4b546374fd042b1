// The authz server's configuration: types, built-in defaults, and validation that names the
// offending field (`bundle.pollIntervalMs: must be an integer >= 100`). Unknown fields are errors,
// so a typo never silently falls back to a default. Pure.
import { findPrototypeKey } from "../json/untrusted-json.ts";
import { type RateLimitConfig, rateLimitSection } from "../ratelimit/config.ts";
import { MAX_JSON_DEPTH } from "../translate/json-text.ts";
import { checkAdminTokenLength } from "./admin-token.ts";
import { invalid, type Obj, Reader } from "./reader.ts";

export interface TlsConfig {
  /** PEM files: this listener's certificate chain and key; `clientCa` turns on mTLS. */
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

export interface ListenerConfig {
  host: string;
  /** 0 lets the kernel choose (tests). */
  port: number;
  tls?: TlsConfig;
}

/** Bounds on what one bundle may cost to fetch and unpack (refused with MW_BUNDLE_LIMIT). */
export interface BundleLimits {
  /** Largest archive downloaded or read, compressed bytes. */
  maxDownloadBytes: number;
  /** Largest tar data the archive may unpack to (contents, headers, padding). */
  maxUnpackedBytes: number;
  /** Most tar entries. */
  maxEntries: number;
}

export interface SigningConfig {
  /** Public keys (PEM) or HMAC secrets by key id, as OPA's `keys.<id>`. */
  /** `algorithm` may be left out for public keys: RS256 for RSA, ES256/384/512 by EC curve. */
  keys: Record<string, { algorithm?: string; keyFile: string }>;
  /** Key id to use when the signature names none (OPA's `signing.keyid`). */
  keyId?: string;
  /** Must equal the signature's `scope` claim when set. */
  scope?: string;
  /** Files left out of signing (OPA's `exclude_files`), e.g. [".manifest"] rarely. */
  excludeFiles: string[];
}

export interface JwtConfig {
  /** Header carrying the token (`authorization` strips the `Bearer ` prefix). */
  header: string;
  /** Cookie carrying the token, tried after the header. */
  cookie?: string;
  jwksUrl: string;
  issuer?: string;
  audience?: string[];
  /** Allowed signature algorithms; `none` and HS* are never allowed with a JWKS. */
  algorithms: string[];
  clockSkewSec: number;
  /** How long fetched keys are fresh; after that they are refetched, but kept if the fetch fails. */
  jwksCacheMs: number;
  /** At most one refetch for an unknown `kid` per this interval. */
  jwksMinRefetchMs: number;
  jwksTimeoutMs: number;
  /** Largest JWKS document accepted, bytes. */
  jwksMaxBytes: number;
}

export interface AuthzConfig {
  /** Processes serving checks (node:cluster, listeners shared); 0 = one per available CPU, 1 =
   *  this process alone. Risk state in memory is per process, so `risk` without `redisUrl` needs 1
   *  (authz-server/src/cluster/). */
  workers: number;
  /** `maxMessageBytes`: largest CheckRequest accepted (bigger ones are refused from their length
   *  prefix with RESOURCE_EXHAUSTED); keep Envoy's `with_request_body.max_request_bytes` plus headers below it.
   *  `maxConcurrentStreams`: checks one connection may have open (HTTP/2 SETTINGS; Envoy opens
   *  another connection beyond it); with `maxMessageBytes` it bounds what one connection can make
   *  the server buffer before a check is admitted. Both apply per worker process. */
  grpc: ListenerConfig & { maxMessageBytes: number; maxConcurrentStreams: number };
  /** HTTP listener: Envoy `http_service` checks under `checkPathPrefix`, plus /healthz, /readyz,
   *  /metrics and /status. */
  http: ListenerConfig & {
    enabled: boolean;
    checkPathPrefix: string;
    maxBodyBytes: number;
    /** HTTP mode has no context_extensions; when set, this request header names the route's
     *  entrypoint. Only safe if Envoy sets it (http_service authorization_request.headers_to_add,
     *  e.g. `%METADATA(ROUTE:meshward:entrypoint)%`), which overrides any client-sent copy. */
    entrypointHeader?: string;
    /** HTTP mode has no source.principal; take it from Envoy's x-forwarded-client-cert `URI=`.
     *  Only safe with `forward_client_cert_details: SANITIZE_SET` (or Istio's default handling). */
    principalFromXfcc: boolean;
    /** A client (or Envoy) must send a whole request within this time; slower ones are cut off. */
    requestTimeoutMs: number;
  };
  bundle: {
    /** File path or http(s) URL of an OPA bundle (.tar.gz) with a Wasm policy. */
    source: string;
    /** How often a URL source is polled (ETag / If-None-Match), or a file source re-read. */
    pollIntervalMs: number;
    signing?: SigningConfig;
    limits: BundleLimits;
  };
  policy: {
    defaultEntrypoint: string;
    entrypointContextKey: string;
    dryRun: boolean;
    skipBodyParse: boolean;
    /** Write only the parts of the input the bundle's Rego reads into the policy (faster; the
     *  decision is the same). False writes the whole input on every check. */
    inputProjection: boolean;
    maxBodyParseBytes: number;
    maxBodyDepth: number;
  };
  /** `maxInFlight` / `maxBytesInFlight`: checks (and their request bytes) being decided at once,
   *  over both listeners; beyond them a check is denied at once with MW_OVERLOADED (status 503). */
  check: {
    timeoutMs: number;
    /** The deny status of a failed check. */
    errorStatus: number;
    /** The deny status of a request that cannot become policy input (opa-envoy-plugin's 400
     *  `request_parse_error`). */
    requestParseErrorStatus: number;
    maxInFlight: number;
    maxBytesInFlight: number;
    /** Checks above this many request bytes are decided `largeConcurrency` at a time, in order. */
    largeCheckBytes: number;
    largeConcurrency: number;
  };
  identity: { jwt?: JwtConfig; spiffe: { enabled: boolean } };
  /** The risk engine (authz-server/src/risk/): present = enabled. `config` is the engine's own
   *  config (validated by it, errors name its fields); `redisUrl` shares state across replicas. */
  risk?: {
    config: Record<string, unknown>;
    redisUrl?: string;
    /** A Redis command slower than this (ms) is served from local state instead (default 100). */
    redisCommandTimeoutMs?: number;
    /** Lower-case header naming the user a failed login was for (see identity/claimed-principal.ts). */
    failedLoginHeader?: string;
    /** Admin endpoint `POST /admin/v1/events` (HTTP listener): present = mounted. The bearer token
     *  comes from `token` (env MESHWARD_AUTHZ_RISK_ADMIN_TOKEN) or `tokenFile` (read at start). */
    admin?: { token?: string; tokenFile?: string };
  };
  /** The RateLimitService (authz-server/src/ratelimit/): present = served. */
  rateLimit?: RateLimitConfig;
  logging: {
    level: "trace" | "debug" | "info" | "warn" | "error" | "silent";
    /** `bodyPaths`: request path globs (`*` one segment, `**` any) whose parsed body is logged,
     *  credential-named fields still redacted; every other body is left out of decision logs. */
    decisions: { enabled: boolean; sampleRate: number; redactPaths: string[]; bodyPaths: string[] };
  };
  /** The live page (authz-server/src/dashboard/) on the HTTP listener under /dashboard: off unless
   *  enabled. `envoyAdminUrl` is read for the filters' and endpoints' numbers; `controlUrl` is the
   *  sandbox's control API (it also names Envoy's admin URL). */
  dashboard: { enabled: boolean; envoyAdminUrl?: string; controlUrl?: string };
}

export function defaultConfig(repoRoot: string): AuthzConfig {
  return {
    workers: 0,
    grpc: { host: "127.0.0.1", port: 9001, maxMessageBytes: 1024 * 1024, maxConcurrentStreams: 128 },
    http: {
      host: "127.0.0.1",
      port: 9002,
      enabled: true,
      checkPathPrefix: "/check",
      maxBodyBytes: 1024 * 1024,
      principalFromXfcc: false,
      requestTimeoutMs: 10_000,
    },
    bundle: {
      source: `${repoRoot}/build/policy/default.tar.gz`,
      pollIntervalMs: 0,
      limits: { maxDownloadBytes: 8 * 1024 * 1024, maxUnpackedBytes: 8 * 1024 * 1024, maxEntries: 4096 },
    },
    policy: {
      defaultEntrypoint: "envoy/authz/allow",
      entrypointContextKey: "meshward_entrypoint",
      dryRun: false,
      skipBodyParse: false,
      inputProjection: true,
      // Parsing is what a large body costs: ~75 ms of CPU per MiB of JSON (decoded, parsed, handed to
      // the policy), so bodies above 64 KiB are left unparsed (truncated_body: true) unless raised.
      maxBodyParseBytes: 64 * 1024,
      // Go's (and so opa-envoy's) limit is 10000, but a policy that walks or serialises a body that
      // deep blocks the event loop for seconds or overflows the evaluator's stack; request bodies
      // nest a few levels.
      maxBodyDepth: 128,
    },
    check: {
      timeoutMs: 1000,
      errorStatus: 403,
      requestParseErrorStatus: 400,
      maxInFlight: 512,
      maxBytesInFlight: 16 * 1024 * 1024,
      largeCheckBytes: 64 * 1024,
      largeConcurrency: 1,
    },
    identity: { spiffe: { enabled: true } },
    logging: { level: "info", decisions: { enabled: true, sampleRate: 1, redactPaths: [], bodyPaths: [] } },
    dashboard: { enabled: false },
  };
}

function listener(r: Reader, d: ListenerConfig): ListenerConfig {
  const out: ListenerConfig = { host: r.string("host", d.host), port: r.int("port", d.port, 0, 65535) };
  if (r.has("tls")) {
    const t = r.section("tls").only(["certFile", "keyFile", "clientCaFile"]);
    out.tls = { certFile: t.string("certFile", ""), keyFile: t.string("keyFile", "") };
    if (!out.tls.certFile) throw invalid(t.at("certFile"), "is required with tls");
    if (!out.tls.keyFile) throw invalid(t.at("keyFile"), "is required with tls");
    const ca = t.optionalString("clientCaFile");
    if (ca) out.tls.clientCaFile = ca;
  }
  return out;
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "silent"] as const;
const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

function jwt(r: Reader): JwtConfig {
  r.only([
    "header",
    "cookie",
    "jwksUrl",
    "issuer",
    "audience",
    "algorithms",
    "clockSkewSec",
    "jwksCacheMs",
    "jwksMinRefetchMs",
    "jwksTimeoutMs",
    "jwksMaxBytes",
  ]);
  const jwksUrl = r.string("jwksUrl", "");
  if (!/^https?:\/\//.test(jwksUrl)) throw invalid(r.at("jwksUrl"), "must be an http(s) URL");
  const algorithms = r.strings("algorithms", ["RS256", "ES256"]);
  for (const alg of algorithms) {
    if (!JWT_ALGORITHMS.includes(alg)) {
      throw invalid(r.at("algorithms"), `${alg} is not allowed (asymmetric only: ${JWT_ALGORITHMS.join(", ")})`);
    }
  }
  const out: JwtConfig = {
    header: r.string("header", "authorization").toLowerCase(),
    jwksUrl,
    algorithms,
    clockSkewSec: r.int("clockSkewSec", 30, 0, 3600),
    jwksCacheMs: r.int("jwksCacheMs", 300_000, 0),
    jwksMinRefetchMs: r.int("jwksMinRefetchMs", 30_000, 0),
    jwksTimeoutMs: r.int("jwksTimeoutMs", 2000, 1),
    jwksMaxBytes: r.int("jwksMaxBytes", 256 * 1024, 1024),
  };
  const cookie = r.optionalString("cookie");
  if (cookie) out.cookie = cookie;
  const issuer = r.optionalString("issuer");
  if (issuer) out.issuer = issuer;
  if (r.has("audience")) {
    const aud = r.raw("audience");
    out.audience = typeof aud === "string" ? [aud] : r.strings("audience", []);
  }
  return out;
}

function signing(r: Reader): SigningConfig {
  r.only(["keys", "keyId", "scope", "excludeFiles"]);
  const keysReader = r.section("keys");
  const keys: SigningConfig["keys"] = {};
  for (const id of Object.keys((r.raw("keys") as Obj | undefined) ?? {})) {
    const k = keysReader.section(id).only(["algorithm", "keyFile"]);
    const key: { algorithm?: string; keyFile: string } = { keyFile: k.string("keyFile", "") };
    if (!key.keyFile) throw invalid(k.at("keyFile"), "is required");
    const algorithm = k.optionalString("algorithm");
    if (algorithm !== undefined) {
      if (!/^(RS|PS|ES|HS)(256|384|512)$|^EdDSA$/.test(algorithm))
        throw invalid(k.at("algorithm"), `unknown algorithm ${algorithm}`);
      key.algorithm = algorithm;
    }
    keys[id] = key;
  }
  if (Object.keys(keys).length === 0) throw invalid(r.at("keys"), "needs at least one verification key");
  const out: SigningConfig = { keys, excludeFiles: r.strings("excludeFiles", []) };
  const keyId = r.optionalString("keyId");
  if (keyId) {
    if (!keys[keyId]) throw invalid(r.at("keyId"), `names no key in ${r.at("keys")}`);
    out.keyId = keyId;
  }
  const scope = r.optionalString("scope");
  if (scope) out.scope = scope;
  return out;
}

function dashboard(root: Reader): AuthzConfig["dashboard"] {
  const r = root.section("dashboard").only(["enabled", "envoyAdminUrl", "controlUrl"]);
  const out: AuthzConfig["dashboard"] = { enabled: r.bool("enabled", false) };
  for (const field of ["envoyAdminUrl", "controlUrl"] as const) {
    const url = r.optionalString(field);
    if (url === undefined) continue;
    if (!/^https?:\/\/[^/]+$/.test(url.replace(/\/$/, ""))) throw invalid(r.at(field), "must be an http(s) origin");
    out[field] = url.replace(/\/$/, "");
  }
  return out;
}

/** The live page and its control forwarding trust the local machine only. */
function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Upper bound on `workers` (a typo such as 400 must not fork 400 processes). */
export const MAX_WORKERS = 64;

function adminConfig(a: Reader): NonNullable<NonNullable<AuthzConfig["risk"]>["admin"]> {
  const token = a.optionalString("token");
  const tokenFile = a.optionalString("tokenFile");
  if (token !== undefined && tokenFile !== undefined) throw invalid(a.at("token"), "set either token or tokenFile");
  if (token === undefined && tokenFile === undefined) throw invalid(a.at("token"), "token or tokenFile is required");
  return token !== undefined
    ? { token: checkAdminTokenLength(a.at("token"), token) }
    : { tokenFile: tokenFile as string };
}

/** Validates a parsed config document over `defaults`; throws MW_CONFIG naming the field. */
export function validateConfig(document: unknown, defaults: AuthzConfig): AuthzConfig {
  // Fields are read by name, but `risk.config` and the signing keys are iterated: a key that names a
  // prototype is refused anywhere rather than reasoned about per section.
  const prototypeKey = findPrototypeKey(document);
  if (prototypeKey !== undefined) throw invalid(prototypeKey, "is not an allowed field name");
  const root = Reader.of(document ?? {}, "").only([
    "workers",
    "grpc",
    "http",
    "bundle",
    "policy",
    "check",
    "identity",
    "risk",
    "rateLimit",
    "logging",
    "dashboard",
  ]);
  const g = root.section("grpc").only(["host", "port", "tls", "maxMessageBytes", "maxConcurrentStreams"]);
  const grpc = {
    ...listener(g, defaults.grpc),
    maxMessageBytes: g.int("maxMessageBytes", defaults.grpc.maxMessageBytes, 4096, 64 * 1024 * 1024),
    maxConcurrentStreams: g.int("maxConcurrentStreams", defaults.grpc.maxConcurrentStreams, 1, 100_000),
  };
  const h = root
    .section("http")
    .only([
      "host",
      "port",
      "tls",
      "enabled",
      "checkPathPrefix",
      "maxBodyBytes",
      "entrypointHeader",
      "principalFromXfcc",
      "requestTimeoutMs",
    ]);
  const checkPathPrefix = h.string("checkPathPrefix", defaults.http.checkPathPrefix);
  if (!/^\/[^?#]*$/.test(checkPathPrefix) || checkPathPrefix.endsWith("/")) {
    throw invalid(h.at("checkPathPrefix"), 'must start with "/" and not end with one');
  }
  const http: AuthzConfig["http"] = {
    ...listener(h, defaults.http),
    enabled: h.bool("enabled", defaults.http.enabled),
    checkPathPrefix,
    maxBodyBytes: h.int("maxBodyBytes", defaults.http.maxBodyBytes, 0),
    principalFromXfcc: h.bool("principalFromXfcc", defaults.http.principalFromXfcc),
    requestTimeoutMs: h.int("requestTimeoutMs", defaults.http.requestTimeoutMs, 100, 600_000),
  };
  const entrypointHeader = h.optionalString("entrypointHeader");
  if (entrypointHeader) http.entrypointHeader = entrypointHeader.toLowerCase();
  const b = root.section("bundle").only(["source", "pollIntervalMs", "signing", "limits"]);
  const bl = b.section("limits").only(["maxDownloadBytes", "maxUnpackedBytes", "maxEntries"]);
  const dl = defaults.bundle.limits;
  const bundle: AuthzConfig["bundle"] = {
    source: b.string("source", defaults.bundle.source),
    pollIntervalMs: b.int("pollIntervalMs", defaults.bundle.pollIntervalMs, 0),
    limits: {
      maxDownloadBytes: bl.int("maxDownloadBytes", dl.maxDownloadBytes, 1024),
      maxUnpackedBytes: bl.int("maxUnpackedBytes", dl.maxUnpackedBytes, 1024),
      maxEntries: bl.int("maxEntries", dl.maxEntries, 1),
    },
  };
  if (bundle.pollIntervalMs > 0 && bundle.pollIntervalMs < 100)
    throw invalid(b.at("pollIntervalMs"), "must be 0 (off) or >= 100");
  if (b.has("signing")) bundle.signing = signing(b.section("signing"));
  const p = root
    .section("policy")
    .only([
      "defaultEntrypoint",
      "entrypointContextKey",
      "dryRun",
      "skipBodyParse",
      "inputProjection",
      "maxBodyParseBytes",
      "maxBodyDepth",
    ]);
  const dp = defaults.policy;
  const policy = {
    defaultEntrypoint: p.string("defaultEntrypoint", dp.defaultEntrypoint),
    entrypointContextKey: p.string("entrypointContextKey", dp.entrypointContextKey),
    dryRun: p.bool("dryRun", dp.dryRun),
    skipBodyParse: p.bool("skipBodyParse", dp.skipBodyParse),
    inputProjection: p.bool("inputProjection", dp.inputProjection),
    maxBodyParseBytes: p.int("maxBodyParseBytes", dp.maxBodyParseBytes, 0),
    maxBodyDepth: p.int("maxBodyDepth", dp.maxBodyDepth, 1, MAX_JSON_DEPTH),
  };
  const c = root
    .section("check")
    .only([
      "timeoutMs",
      "errorStatus",
      "requestParseErrorStatus",
      "maxInFlight",
      "maxBytesInFlight",
      "largeCheckBytes",
      "largeConcurrency",
    ]);
  const check = {
    timeoutMs: c.int("timeoutMs", defaults.check.timeoutMs, 1),
    errorStatus: c.int("errorStatus", defaults.check.errorStatus, 400, 599),
    requestParseErrorStatus: c.int("requestParseErrorStatus", defaults.check.requestParseErrorStatus, 400, 599),
    maxInFlight: c.int("maxInFlight", defaults.check.maxInFlight, 1),
    maxBytesInFlight: c.int("maxBytesInFlight", defaults.check.maxBytesInFlight, 4096),
    largeCheckBytes: c.int("largeCheckBytes", defaults.check.largeCheckBytes, 1024),
    largeConcurrency: c.int("largeConcurrency", defaults.check.largeConcurrency, 1, 1024),
  };
  const i = root.section("identity").only(["jwt", "spiffe"]);
  const identity: AuthzConfig["identity"] = {
    spiffe: { enabled: i.section("spiffe").only(["enabled"]).bool("enabled", defaults.identity.spiffe.enabled) },
  };
  if (i.has("jwt")) identity.jwt = jwt(i.section("jwt"));
  const l = root.section("logging").only(["level", "decisions"]);
  const level = l.string("level", defaults.logging.level);
  if (!(LEVELS as readonly string[]).includes(level))
    throw invalid(l.at("level"), `must be one of ${LEVELS.join(", ")}`);
  const d = l.section("decisions").only(["enabled", "sampleRate", "redactPaths", "bodyPaths"]);
  const dd = defaults.logging.decisions;
  const logging = {
    level: level as AuthzConfig["logging"]["level"],
    decisions: {
      enabled: d.bool("enabled", dd.enabled),
      sampleRate: d.fraction("sampleRate", dd.sampleRate),
      redactPaths: d.strings("redactPaths", dd.redactPaths),
      bodyPaths: d.strings("bodyPaths", dd.bodyPaths),
    },
  };
  // Large checks may use three quarters of the byte cap (transport/admission.ts): the largest
  // accepted must fit there.
  const largest = Math.max(grpc.maxMessageBytes, http.enabled ? http.maxBodyBytes : 0);
  if (check.maxBytesInFlight * 0.75 < largest)
    throw invalid(c.at("maxBytesInFlight"), `must be at least 4/3 of the largest check accepted (${largest} bytes)`);
  const workers = root.int("workers", defaults.workers, 0, MAX_WORKERS);
  const out: AuthzConfig = {
    workers,
    grpc,
    http,
    bundle,
    policy,
    check,
    identity,
    logging,
    dashboard: dashboard(root),
  };
  if (out.dashboard.enabled && !isLoopbackHost(http.host))
    throw invalid("dashboard.enabled", `the live page is for loopback listeners only (http.host is ${http.host})`);
  if (root.has("risk")) {
    const r = root.section("risk").only(["config", "redisUrl", "redisCommandTimeoutMs", "failedLoginHeader", "admin"]);
    const engineConfig = r.raw("config") ?? {};
    Reader.of(engineConfig, r.at("config")); // an object; its fields are the engine's to check
    out.risk = { config: engineConfig as Record<string, unknown> };
    const redisUrl = r.optionalString("redisUrl");
    if (redisUrl) {
      if (!/^rediss?:\/\//.test(redisUrl)) throw invalid(r.at("redisUrl"), "must be a redis:// or rediss:// URL");
      out.risk.redisUrl = redisUrl;
    }
    if (r.has("redisCommandTimeoutMs")) out.risk.redisCommandTimeoutMs = r.int("redisCommandTimeoutMs", 100, 1, 60_000);
    const failedLoginHeader = r.optionalString("failedLoginHeader");
    if (failedLoginHeader) out.risk.failedLoginHeader = failedLoginHeader.toLowerCase();
    if (r.has("admin")) out.risk.admin = adminConfig(r.section("admin").only(["token", "tokenFile"]));
    if (workers > 1 && !out.risk.redisUrl)
      throw invalid(
        root.at("workers"),
        "more than one worker needs risk.redisUrl: in-memory risk state is per process, so workers would disagree on failure counts and revocations",
      );
  }
  if (root.has("rateLimit")) {
    out.rateLimit = rateLimitSection(root.section("rateLimit"));
    if (workers > 1 && !out.rateLimit.redis)
      throw invalid(
        root.at("workers"),
        "more than one worker needs rateLimit.redis: in-memory rate-limit buckets are per process, so each worker would admit the whole limit",
      );
  }
  return out;
}
