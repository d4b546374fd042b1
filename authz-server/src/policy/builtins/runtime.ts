// opa.runtime(): what the server running the policy is. OPA answers its environment variables,
// version and commit (and, as a server, its configuration without credentials); with no runtime
// information, as when OPA is embedded as a library, an empty object. Meshward gives the same
// shape where it has something true to say: the process environment (read once, at the glue), its
// own version, and no OPA configuration (it has none; `config` is absent, as in `opa eval`).
// The value is built once per server and shared by every evaluation, as OPA does.
import type { RegoValue } from "../rego-value.ts";
import type { Builtin } from "../wasm-host.ts";

/** The opa.runtime() value for a process with `env`, running Meshward `version`. */
export function runtimeInfo(env: Readonly<Record<string, string | undefined>>, version: string): RegoValue {
  const variables = Object.create(null) as { [key: string]: RegoValue };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) variables[name] = value;
  return {
    authorization_enabled: false,
    commit: "",
    env: variables,
    skip_known_schema_check: false,
    version,
  };
}

export function runtimeBuiltins(info: RegoValue = {}): Record<string, Builtin> {
  return { "opa.runtime": () => info };
}
