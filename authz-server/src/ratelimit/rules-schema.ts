// The rate-limit rules file: one or more domains in the shape of envoyproxy/ratelimit's YAML
// (`domain`, nested `descriptors` of `key` / optional `value`, `rate_limit {unit,
// requests_per_unit, name, replaces, unlimited}`, `shadow_mode`, `share_threshold`), plus
// Meshward's fields: `rate_limit.burst` and `max_values`, and per domain `failure_mode_deny`,
// `fallback_share` and `max_values`. Validation is strict and every error names the field
// (`domains[0].descriptors[2].rate_limit.unit: must be one of second, minute, hour, day`). Pure.
import { invalid, Reader } from "../config/reader.ts";

export const UNIT_SECONDS = { second: 1, minute: 60, hour: 3600, day: 86_400 } as const;
export type LimitUnit = keyof typeof UNIT_SECONDS;
const UNITS = Object.keys(UNIT_SECONDS) as LimitUnit[];

/** Highest admitted rate of one limit, per second. Above it the bucket maths in microseconds
 *  (gcra.ts) would lose more than 0.1% to float rounding; no single Redis key takes that load anyway. */
export const MAX_RATE_PER_SECOND = 100_000;
/** Longest time a bucket may take to refill from empty (burst / rate): keeps every time in µs an
 *  exact integer in a double and in Redis's 64-bit replies. */
export const MAX_REFILL_SECONDS = 366 * 86_400;
/** Nesting depth of descriptors (Envoy sends one entry per level). */
export const MAX_DEPTH = 8;
/** Rules (descriptor nodes) in one domain. */
export const MAX_NODES_PER_DOMAIN = 10_000;
/** Default cap on the distinct request values one rule keeps a bucket for (see bucket-keys.ts). */
export const DEFAULT_MAX_VALUES = 10_000;

export interface RateLimitSpec {
  unit: LimitUnit;
  /** Admitted per `unit` in the long run; 0 refuses every request. */
  requestsPerUnit: number;
  /** Bucket capacity: at most `burst + rate × t` requests pass in any window t. Default requestsPerUnit. */
  burst: number;
  /** Policy name in RateLimit headers and metrics; the target of other rules' `replaces`. */
  name?: string;
  replaces: string[];
  /** Cap on distinct request values with their own bucket (rules whose value comes from the request). */
  maxValues: number;
}

export interface DescriptorSpec {
  key: string;
  /** Exact value, or a pattern with `*` (any run of characters); absent = any value, one bucket each. */
  value?: string;
  /** A limit applies only when the request's descriptor ends at this node. */
  rateLimit?: RateLimitSpec;
  /** Matches and counts nothing: answered OK with no limit (envoyproxy/ratelimit's `unlimited`). */
  unlimited: boolean;
  /** Evaluated and counted, never refuses. */
  shadowMode: boolean;
  /** With a wildcard value: every matching value shares one bucket instead of one each. */
  shareThreshold: boolean;
  descriptors: DescriptorSpec[];
}

export interface DomainSpec {
  domain: string;
  /** Rules cannot be decided on Redis (down, slow): true refuses limited descriptors, false decides
   *  on this replica's local buckets. */
  failureModeDeny: boolean;
  /** Share of each limit a replica's local fallback buckets get (e.g. 1/replicas). */
  fallbackShare: number;
  descriptors: DescriptorSpec[];
}

/** Domain names: printable ASCII without spaces and without `{}` (they end up in Redis hash tags). */
const DOMAIN_PATTERN = /^[!-z|~]{1,128}$/;
const NAME_PATTERN = /^[A-Za-z0-9._:/-]{1,128}$/;
/** Fields of envoyproxy/ratelimit that only add metric labels per request value (unbounded). */
const PER_VALUE_METRICS = ["detailed_metric", "value_to_metric"];

interface Context {
  nodes: number;
  names: Set<string>;
  replaces: { name: string; path: string }[];
  maxValues: number;
}

function at(path: string, key: string): string {
  return `${path}.${key}`;
}

function descriptorList(raw: unknown, path: string, depth: number, context: Context): DescriptorSpec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw invalid(path, "must be a list");
  if (depth > MAX_DEPTH) throw invalid(path, `descriptors nest at most ${MAX_DEPTH} levels`);
  const seen = new Set<string>();
  return raw.map((item, i) => {
    const spec = descriptor(item, `${path}[${i}]`, depth, context);
    const identity = `${spec.key}\u0000${spec.value ?? ""}\u0000${spec.value === undefined}`;
    if (seen.has(identity))
      throw invalid(`${path}[${i}]`, `duplicate descriptor key ${spec.key}${spec.value ? `=${spec.value}` : ""}`);
    seen.add(identity);
    return spec;
  });
}

function descriptor(raw: unknown, path: string, depth: number, context: Context): DescriptorSpec {
  const r = Reader.of(raw, path);
  for (const field of PER_VALUE_METRICS) {
    if (r.has(field))
      throw invalid(at(path, field), "not supported: metrics per request value have unbounded cardinality");
  }
  r.only(["key", "value", "rate_limit", "shadow_mode", "share_threshold", "descriptors"]);
  if (++context.nodes > MAX_NODES_PER_DOMAIN)
    throw invalid(path, `a domain has at most ${MAX_NODES_PER_DOMAIN} descriptors`);
  const key = r.string("key", "");
  if (key === "" || key.length > 256) throw invalid(at(path, "key"), "must be a string of 1..256 characters");
  const spec: DescriptorSpec = {
    key,
    unlimited: false,
    shadowMode: r.bool("shadow_mode", false),
    shareThreshold: r.bool("share_threshold", false),
    descriptors: [],
  };
  if (r.has("value")) {
    const value = r.string("value", "");
    if (value === "" || value.length > 1024) throw invalid(at(path, "value"), "must be a string of 1..1024 characters");
    spec.value = value;
  }
  if (spec.shareThreshold && !spec.value?.includes("*"))
    throw invalid(at(path, "share_threshold"), "needs a wildcard value (containing *)");
  if (r.has("rate_limit")) {
    const limit = rateLimit(r.section("rate_limit"), at(path, "rate_limit"), context);
    if (limit === "unlimited") spec.unlimited = true;
    else spec.rateLimit = limit;
  }
  spec.descriptors = descriptorList(r.raw("descriptors"), at(path, "descriptors"), depth + 1, context);
  return spec;
}

function rateLimit(r: Reader, path: string, context: Context): RateLimitSpec | "unlimited" {
  r.only(["unit", "requests_per_unit", "burst", "name", "replaces", "unlimited", "max_values"]);
  const name = r.optionalString("name");
  if (name !== undefined && !NAME_PATTERN.test(name))
    throw invalid(at(path, "name"), "must match [A-Za-z0-9._:/-]{1,128}");
  if (r.bool("unlimited", false)) {
    for (const field of ["unit", "requests_per_unit", "burst", "replaces", "max_values"]) {
      if (r.has(field)) throw invalid(at(path, field), "not allowed with unlimited: true");
    }
    return "unlimited";
  }
  const unit = r.string("unit", "");
  if (!(UNITS as string[]).includes(unit)) throw invalid(at(path, "unit"), `must be one of ${UNITS.join(", ")}`);
  if (!r.has("requests_per_unit")) throw invalid(at(path, "requests_per_unit"), "is required");
  const maxPerUnit = MAX_RATE_PER_SECOND * UNIT_SECONDS[unit as LimitUnit];
  const requestsPerUnit = r.int("requests_per_unit", 0, 0, maxPerUnit);
  const burst = r.int("burst", Math.max(1, requestsPerUnit), 1, 1_000_000_000);
  if (requestsPerUnit > 0 && (burst * UNIT_SECONDS[unit as LimitUnit]) / requestsPerUnit > MAX_REFILL_SECONDS)
    throw invalid(
      at(path, "burst"),
      `burst / requests_per_unit must refill within ${MAX_REFILL_SECONDS / 86_400} days`,
    );
  const replaces: string[] = [];
  const list = r.raw("replaces");
  if (list !== undefined) {
    if (!Array.isArray(list)) throw invalid(at(path, "replaces"), "must be a list of {name}");
    list.forEach((item, i) => {
      const p = `${path}.replaces[${i}]`;
      const target = Reader.of(item, p).only(["name"]).string("name", "");
      if (!NAME_PATTERN.test(target)) throw invalid(`${p}.name`, "must name a rate_limit");
      replaces.push(target);
      context.replaces.push({ name: target, path: `${p}.name` });
    });
  }
  const spec: RateLimitSpec = {
    unit: unit as LimitUnit,
    requestsPerUnit,
    burst,
    replaces,
    maxValues: r.int("max_values", context.maxValues, 1, 10_000_000),
  };
  if (name !== undefined) {
    spec.name = name;
    context.names.add(name);
  }
  return spec;
}

/** Validates one domain document found at `path` (e.g. `limits.yaml#2`). */
export function parseDomain(raw: unknown, path: string): DomainSpec {
  const r = Reader.of(raw, path);
  r.only(["domain", "descriptors", "failure_mode_deny", "fallback_share", "max_values"]);
  const domain = r.string("domain", "");
  if (!DOMAIN_PATTERN.test(domain))
    throw invalid(at(path, "domain"), "must be 1..128 printable characters without spaces, { or }");
  const fallbackShare = r.raw("fallback_share") ?? 1;
  if (typeof fallbackShare !== "number" || !(fallbackShare > 0 && fallbackShare <= 1))
    throw invalid(at(path, "fallback_share"), "must be a number in (0, 1]");
  const context: Context = {
    nodes: 0,
    names: new Set(),
    replaces: [],
    maxValues: r.int("max_values", DEFAULT_MAX_VALUES, 1, 10_000_000),
  };
  if (!r.has("descriptors")) throw invalid(at(path, "descriptors"), "is required");
  const descriptors = descriptorList(r.raw("descriptors"), at(path, "descriptors"), 1, context);
  for (const { name, path: where } of context.replaces) {
    if (!context.names.has(name)) throw invalid(where, `no rate_limit in domain ${domain} is named ${name}`);
  }
  return { domain, failureModeDeny: r.bool("failure_mode_deny", false), fallbackShare, descriptors };
}

/** Validates every domain of a rules file set; domain names must be unique across them. */
export function parseDomains(documents: readonly { raw: unknown; path: string }[]): Map<string, DomainSpec> {
  const out = new Map<string, DomainSpec>();
  for (const { raw, path } of documents) {
    const spec = parseDomain(raw, path);
    if (out.has(spec.domain)) throw invalid(`${path}.domain`, `domain ${spec.domain} is defined twice`);
    out.set(spec.domain, spec);
  }
  return out;
}
