// Where configuration comes from, lowest precedence first: built-in defaults, one config file
// (YAML or JSON; `--config`), environment variables `MESHWARD_AUTHZ_<FIELD>` for the fields in
// ENV_FIELDS, then command-line flags. Everything is merged into one document and validated once,
// so every error names the field (and says if an env variable or flag set it).
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../errors.ts";
import { type AuthzConfig, defaultConfig, validateConfig } from "./schema.ts";

type Kind = "string" | "int" | "bool" | "number";

/** Fields settable from the environment: `grpc.port` ← MESHWARD_AUTHZ_GRPC_PORT. */
export const ENV_FIELDS: Record<string, Kind> = {
  workers: "int",
  "grpc.host": "string",
  "grpc.port": "int",
  "http.host": "string",
  "http.port": "int",
  "http.enabled": "bool",
  "http.entrypointHeader": "string",
  "bundle.source": "string",
  "bundle.pollIntervalMs": "int",
  "policy.defaultEntrypoint": "string",
  "policy.dryRun": "bool",
  "policy.skipBodyParse": "bool",
  "policy.inputProjection": "bool",
  "check.timeoutMs": "int",
  "check.errorStatus": "int",
  "check.requestParseErrorStatus": "int",
  "logging.level": "string",
  "logging.decisions.enabled": "bool",
  "logging.decisions.sampleRate": "number",
  "risk.redisUrl": "string",
  "dashboard.enabled": "bool",
  "risk.admin.token": "string",
  "rateLimit.rulesFile": "string",
  "rateLimit.redis.url": "string",
};

/** Command-line flags and the field each sets. */
export const FLAGS: Record<string, { field: string; kind: Kind; help: string }> = {
  "--workers": {
    field: "workers",
    kind: "int",
    help: "processes serving checks, sharing the listeners (0: one per available CPU)",
  },
  "--grpc-host": { field: "grpc.host", kind: "string", help: "gRPC listener address" },
  "--grpc-port": { field: "grpc.port", kind: "int", help: "gRPC listener port (0: any free port)" },
  "--http-host": { field: "http.host", kind: "string", help: "HTTP listener address" },
  "--http-port": { field: "http.port", kind: "int", help: "HTTP listener port (0: any free port)" },
  "--bundle": { field: "bundle.source", kind: "string", help: "OPA bundle: file path or http(s) URL" },
  "--entrypoint": { field: "policy.defaultEntrypoint", kind: "string", help: "default Rego entrypoint" },
  "--error-status": {
    field: "check.errorStatus",
    kind: "int",
    help: "HTTP status of a deny caused by an internal error",
  },
  "--request-parse-error-status": {
    field: "check.requestParseErrorStatus",
    kind: "int",
    help: "HTTP status of a deny for a request that cannot be parsed (default 400, as opa-envoy-plugin)",
  },
  "--verification-key": {
    field: "bundle.signing.keys.default.keyFile",
    kind: "string",
    help: "PEM public key that signed bundles must verify with (algorithm from the key)",
  },
  "--dry-run": {
    field: "policy.dryRun",
    kind: "bool",
    help: "let policy denies through, log the would-be decision (true|false)",
  },
  "--log-level": { field: "logging.level", kind: "string", help: "trace|debug|info|warn|error|silent" },
  "--ratelimit-rules": {
    field: "rateLimit.rulesFile",
    kind: "string",
    help: "serve envoy.service.ratelimit.v3 with the rules in this YAML file or directory",
  },
  "--dashboard": { field: "dashboard.enabled", kind: "bool", help: "serve the live page at /dashboard (true|false)" },
  "--dashboard-envoy-admin": {
    field: "dashboard.envoyAdminUrl",
    kind: "string",
    help: "Envoy admin URL the live page reads filter and endpoint stats from",
  },
  "--dashboard-control": {
    field: "dashboard.controlUrl",
    kind: "string",
    help: "sandbox control API the live page reads and forwards to (npm start sets it)",
  },
};

export const HELP = `meshward-authz — Envoy ext_authz server (gRPC and HTTP) running Rego compiled to Wasm.

Usage: meshward-authz [--config file.yaml] [flags]

  --config FILE     YAML or JSON config file (see authz-server/README.md for every field)
  --help            print this help
${Object.entries(FLAGS)
  .map(([flag, f]) => `  ${flag.padEnd(16)}  ${f.help} (${f.field})`)
  .join("\n")}

Environment overrides (between the file and the flags):
${Object.keys(ENV_FIELDS)
  .map((field) => `  ${envName(field)}`)
  .join("\n")}
`;

export function envName(field: string): string {
  return `MESHWARD_AUTHZ_${field
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .replace(/\./g, "_")
    .toUpperCase()}`;
}

function coerce(text: string, kind: Kind, origin: string): unknown {
  if (kind === "string") return text;
  if (kind === "bool") {
    if (text === "true" || text === "1") return true;
    if (text === "false" || text === "0") return false;
    throw new ConfigError(origin, `must be true or false, got ${JSON.stringify(text)}`);
  }
  const n = Number(text);
  if (text.trim() === "" || Number.isNaN(n)) {
    throw new ConfigError(origin, `must be a number, got ${JSON.stringify(text)}`);
  }
  return n;
}

function setPath(document: Record<string, unknown>, field: string, value: unknown): void {
  const keys = field.split(".");
  let node = document;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null || typeof next !== "object") node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

export interface CommandLine {
  help: boolean;
  configFile?: string;
  overrides: [field: string, value: unknown][];
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const out: CommandLine = { help: false, overrides: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === "--help" || flag === "-h") {
      out.help = true;
      continue;
    }
    const value = argv[i + 1];
    if (flag !== "--config" && !FLAGS[flag]) {
      throw new ConfigError(undefined, `unknown option ${flag} (try --help)`);
    }
    if (value === undefined) throw new ConfigError(undefined, `${flag} needs a value`);
    i++;
    if (flag === "--config") out.configFile = value;
    else {
      const spec = FLAGS[flag] as (typeof FLAGS)[string];
      let parsed = coerce(value, spec.kind, `${flag} (${spec.field})`);
      if (flag === "--bundle" && !/^https?:\/\//.test(value)) parsed = resolve(value);
      if (flag === "--verification-key" || flag === "--ratelimit-rules") parsed = resolve(value);
      out.overrides.push([spec.field, parsed]);
    }
  }
  return out;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`--config ${path}`, (err as Error).message);
  }
  let document: unknown;
  try {
    document = parseYaml(text); // YAML 1.2 is a superset of JSON
  } catch (err) {
    throw new ConfigError(path, `not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new ConfigError(path, "the top level must be a mapping");
  }
  return document as Record<string, unknown>;
}

/** Relative file paths in a config file are relative to the file. */
function resolveFilePaths(document: Record<string, unknown>, baseDir: string): void {
  const bundle = document.bundle as Record<string, unknown> | undefined;
  if (
    bundle &&
    typeof bundle.source === "string" &&
    !/^https?:\/\//.test(bundle.source) &&
    !isAbsolute(bundle.source)
  ) {
    bundle.source = resolve(baseDir, bundle.source);
  }
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (/File$/.test(key) && typeof value === "string" && !isAbsolute(value)) {
        (node as Record<string, unknown>)[key] = resolve(baseDir, value);
      } else visit(value);
    }
  };
  visit(document);
}

export function loadConfig(commandLine: CommandLine, env: NodeJS.ProcessEnv, repoRoot: string): AuthzConfig {
  const document = commandLine.configFile ? readConfigFile(commandLine.configFile) : {};
  if (commandLine.configFile) resolveFilePaths(document, dirname(resolve(commandLine.configFile)));
  for (const [field, kind] of Object.entries(ENV_FIELDS)) {
    const name = envName(field);
    const text = env[name];
    if (text !== undefined) setPath(document, field, coerce(text, kind, `${name} (${field})`));
  }
  for (const [field, value] of commandLine.overrides) setPath(document, field, value);
  return validateConfig(document, defaultConfig(repoRoot));
}
