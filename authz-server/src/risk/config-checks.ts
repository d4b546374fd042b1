// The parts of risk-config validation that the generic type walk in config.ts cannot do: list
// elements (CIDR blocks, locations, route rules) and relations between fields.
import { X509Certificate } from "node:crypto";
import type { RiskConfig } from "./config.ts";
import { parseCidr } from "./net/cidr.ts";
import { parseVersion } from "./signals/device-posture.ts";
import { sensitivityValue } from "./signals/endpoint-sensitivity.ts";

export class RiskConfigError extends Error {
  /** The authz server's config error code, so it lands in the same metrics and logs. */
  readonly code = "MW_CONFIG";
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`risk config ${field}: ${problem}`);
    this.name = "RiskConfigError";
  }
}

const CIDR_LISTS = new Set(["ipReputation.deny", "ipReputation.anonymizer", "ipReputation.suspect"]);

function str(path: string, v: unknown): string {
  if (typeof v !== "string" || v === "")
    throw new RiskConfigError(path, `expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function num(path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max)
    throw new RiskConfigError(path, `expected a number in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function onlyKeys(path: string, v: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new RiskConfigError(path, "expected an object");
  for (const k of Object.keys(v))
    if (!keys.includes(k)) throw new RiskConfigError(`${path}.${k}`, `unknown field (known: ${keys.join(", ")})`);
  return v as Record<string, unknown>;
}

/** Checks one element of an array field; returns it (copied) when valid. */
export function checkElement(listPath: string, el: unknown, index: number): unknown {
  const path = `${listPath}[${index}]`;
  if (CIDR_LISTS.has(listPath)) {
    const parsed = parseCidr(str(path, el));
    if (typeof parsed === "string") throw new RiskConfigError(path, parsed);
    return el;
  }
  if (listPath === "travel.locations") {
    const o = onlyKeys(path, el, ["cidr", "lat", "lon", "country"]);
    const parsed = parseCidr(str(`${path}.cidr`, o.cidr));
    if (typeof parsed === "string") throw new RiskConfigError(`${path}.cidr`, parsed);
    return {
      cidr: o.cidr,
      lat: num(`${path}.lat`, o.lat, -90, 90),
      lon: num(`${path}.lon`, o.lon, -180, 180),
      country: str(`${path}.country`, o.country),
    };
  }
  if (listPath === "sensitivity.routes") {
    const o = onlyKeys(path, el, ["prefix", "methods", "level"]);
    const prefix = str(`${path}.prefix`, o.prefix);
    if (!prefix.startsWith("/"))
      throw new RiskConfigError(`${path}.prefix`, `must start with "/", got ${JSON.stringify(prefix)}`);
    const level = str(`${path}.level`, o.level);
    if (sensitivityValue(level) === null)
      throw new RiskConfigError(
        `${path}.level`,
        `expected low|medium|high|critical or 0..1, got ${JSON.stringify(level)}`,
      );
    if (o.methods === undefined) return { prefix, level };
    if (!Array.isArray(o.methods)) throw new RiskConfigError(`${path}.methods`, "expected an array of method names");
    return { prefix, level, methods: o.methods.map((m, i) => str(`${path}.methods[${i}]`, m)) };
  }
  return str(path, el);
}

function ordered(field: string, low: number, high: number, lowName: string): void {
  if (!(low < high)) throw new RiskConfigError(field, `must be greater than ${lowName} (${low}), got ${high}`);
}

/** Relations between fields, checked after every field is valid on its own. */
export function checkConsistency(c: RiskConfig): void {
  ordered("levels.high", c.levels.medium, c.levels.high, "levels.medium");
  ordered("levels.critical", c.levels.high, c.levels.critical, "levels.high");
  ordered(
    "failedAuth.principalSaturation",
    c.failedAuth.principalAllowance,
    c.failedAuth.principalSaturation,
    "failedAuth.principalAllowance",
  );
  ordered("failedAuth.ipSaturation", c.failedAuth.ipAllowance, c.failedAuth.ipSaturation, "failedAuth.ipAllowance");
  ordered("requestRate.zFull", c.requestRate.zStart, c.requestRate.zFull, "requestRate.zStart");
  ordered("token.maxAgeMs", c.token.freshAgeMs, c.token.maxAgeMs, "token.freshAgeMs");
  if (c.requestRate.minHistoryBuckets > c.requestRate.historyBuckets)
    throw new RiskConfigError(
      "requestRate.minHistoryBuckets",
      `must not exceed requestRate.historyBuckets (${c.requestRate.historyBuckets})`,
    );
  if (c.device.headers.length === 0) throw new RiskConfigError("device.headers", "must name at least one header");
  // Envoy hands header names to ext_authz in lower case; a capitalised name would never match.
  const headerFields: Array<[string, string]> = [
    ...c.device.headers.map((h, i): [string, string] => [`device.headers[${i}]`, h]),
    ["devicePosture.firmwareHeader", c.devicePosture.firmwareHeader],
    ["devicePosture.certHeader", c.devicePosture.certHeader],
  ];
  for (const [field, name] of headerFields) {
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name))
      throw new RiskConfigError(field, `must be a lower-case header name, got ${JSON.stringify(name)}`);
  }
  if (parseVersion(c.devicePosture.minFirmware) === null)
    throw new RiskConfigError(
      "devicePosture.minFirmware",
      `not a dotted version: ${JSON.stringify(c.devicePosture.minFirmware)}`,
    );
  if (c.devicePosture.trustedCaPem !== "") {
    try {
      new X509Certificate(c.devicePosture.trustedCaPem);
    } catch (err) {
      throw new RiskConfigError("devicePosture.trustedCaPem", `not a PEM certificate: ${(err as Error).message}`);
    }
  }
}
