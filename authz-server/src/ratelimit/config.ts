// The authz server's `rateLimit:` section: where the rules are, where the service listens, where
// the buckets live (Redis or memory), request bounds and response headers. Present = the
// RateLimitService is served. Pure; errors name the field like the rest of config/.
import { invalid, type Reader } from "../config/reader.ts";
import type { HeadersMode, RequestBounds } from "./ratelimit-service.ts";

export interface RateLimitRedisConfig {
  /** redis:// or rediss:// of a single server; or `clusterNodes` for Redis Cluster. */
  url?: string;
  clusterNodes?: string[];
  /** Longest wait for Redis per request, ms; beyond it the domain's failure mode decides. */
  timeoutMs: number;
  keyPrefix: string;
}

export interface RateLimitConfig {
  /** A YAML/JSON rules file, or a directory of them (rules-schema.ts). */
  rulesFile: string;
  /** How often the rules are re-read, ms (0: never). */
  pollIntervalMs: number;
  /** Its own gRPC listener; absent = served on the authz gRPC listener. */
  grpc?: { host: string; port: number; maxMessageBytes: number };
  /** Absent = buckets in this process's memory (a single replica). */
  redis?: RateLimitRedisConfig;
  headers: HeadersMode;
  bounds: RequestBounds;
}

const HEADERS: HeadersMode[] = ["off", "limited", "all"];
const REDIS_URL = /^rediss?:\/\/[^\s]+$/;

function redisSection(r: Reader): RateLimitRedisConfig {
  r.only(["url", "clusterNodes", "timeoutMs", "keyPrefix"]);
  const out: RateLimitRedisConfig = {
    timeoutMs: r.int("timeoutMs", 10, 1, 10_000),
    keyPrefix: r.string("keyPrefix", "mw:rl:"),
  };
  if (/[{}\s]/.test(out.keyPrefix)) throw invalid(r.at("keyPrefix"), "must not contain {, } or spaces");
  const url = r.optionalString("url");
  const nodes = r.has("clusterNodes") ? r.strings("clusterNodes", []) : undefined;
  if ((url === undefined) === (nodes === undefined))
    throw invalid(r.at("url"), "set exactly one of url or clusterNodes");
  if (url !== undefined) {
    if (!REDIS_URL.test(url)) throw invalid(r.at("url"), "must be a redis:// or rediss:// URL");
    out.url = url;
  }
  if (nodes !== undefined) {
    if (nodes.length === 0 || !nodes.every((n) => REDIS_URL.test(n)))
      throw invalid(r.at("clusterNodes"), "must list redis:// URLs of cluster nodes");
    out.clusterNodes = nodes;
  }
  return out;
}

/** Validates `rateLimit` (the caller checked it is present). */
export function rateLimitSection(r: Reader): RateLimitConfig {
  r.only(["rulesFile", "pollIntervalMs", "grpc", "redis", "headers", "maxDescriptors", "maxEntries", "maxValueLength"]);
  const rulesFile = r.string("rulesFile", "");
  if (rulesFile === "") throw invalid(r.at("rulesFile"), "is required");
  const pollIntervalMs = r.int("pollIntervalMs", 5000, 0);
  if (pollIntervalMs > 0 && pollIntervalMs < 100) throw invalid(r.at("pollIntervalMs"), "must be 0 (off) or >= 100");
  const headers = r.string("headers", "limited");
  if (!(HEADERS as string[]).includes(headers)) throw invalid(r.at("headers"), `must be one of ${HEADERS.join(", ")}`);
  const out: RateLimitConfig = {
    rulesFile,
    pollIntervalMs,
    headers: headers as HeadersMode,
    bounds: {
      maxDescriptors: r.int("maxDescriptors", 32, 1, 1000),
      maxEntries: r.int("maxEntries", 8, 1, 64),
      maxValueLength: r.int("maxValueLength", 512, 16, 65_536),
    },
  };
  if (r.has("grpc")) {
    const g = r.section("grpc").only(["host", "port", "maxMessageBytes"]);
    out.grpc = {
      host: g.string("host", "127.0.0.1"),
      port: g.int("port", 9003, 0, 65535),
      maxMessageBytes: g.int("maxMessageBytes", 64 * 1024, 1024, 8 * 1024 * 1024),
    };
  }
  if (r.has("redis")) out.redis = redisSection(r.section("redis"));
  return out;
}
