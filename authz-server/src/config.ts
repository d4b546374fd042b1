// Server configuration with built-in defaults; every field can be overridden from the command line.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ErrorCodes, MeshwardError } from "./errors.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface AuthzConfig {
  grpc: { host: string; port: number };
  /** OPA bundle (.tar.gz) with a Wasm policy; the default is the one `npm run build:policy` makes. */
  bundlePath: string;
  /** Rego rule path used when a route names none; opa-envoy-plugin's default. */
  defaultEntrypoint: string;
  /** HTTP status of the deny sent when a check fails internally (fail closed). */
  errorStatus: number;
}

export const DEFAULT_CONFIG: AuthzConfig = {
  grpc: { host: "127.0.0.1", port: 9001 },
  bundlePath: resolve(repoRoot, "build/policy/default.tar.gz"),
  defaultEntrypoint: "envoy/authz/allow",
  errorStatus: 403,
};

const FLAGS = ["--grpc-host", "--grpc-port", "--bundle", "--entrypoint", "--error-status"] as const;

function portNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new MeshwardError(ErrorCodes.config, `${flag}: not a port: ${text}`);
  return n;
}

/** Parses `--flag value` pairs over the defaults; unknown flags are errors that name the flag. */
export function parseArgs(argv: readonly string[], base: AuthzConfig = DEFAULT_CONFIG): AuthzConfig {
  const config: AuthzConfig = structuredClone(base);
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    if (!(FLAGS as readonly string[]).includes(flag)) {
      throw new MeshwardError(ErrorCodes.config, `unknown option ${flag} (known: ${FLAGS.join(", ")})`);
    }
    if (value === undefined) throw new MeshwardError(ErrorCodes.config, `${flag} needs a value`);
    if (flag === "--grpc-host") config.grpc.host = value;
    else if (flag === "--grpc-port") config.grpc.port = portNumber(flag, value);
    else if (flag === "--bundle") config.bundlePath = resolve(value);
    else if (flag === "--entrypoint") config.defaultEntrypoint = value;
    else if (flag === "--error-status") {
      const status = Number(value);
      if (!Number.isInteger(status) || status < 400 || status > 599) {
        throw new MeshwardError(ErrorCodes.config, `--error-status must be 400..599, got ${value}`);
      }
      config.errorStatus = status;
    }
  }
  return config;
}
