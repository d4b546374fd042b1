// Starts the sandbox's Envoy: ext_authz (gRPC) → the Meshward filters that are available → global
// rate limits (Envoy's ratelimit filter calling the authz server's RateLimitService, descriptors from
// the ext_authz decision) → one upstream cluster of several endpoints under the override-host LB
// policy (the adaptive-lb filter's pick, else round robin). If Envoy refuses the configuration (a filter that fails to load under
// FAIL_CLOSED), it is started again without that filter (named in Envoy's output, else the last),
// and a line says which was dropped and why.
import { type RunningEnvoy, startEnvoy } from "../lib/envoy.ts";
import { type Endpoint, meshEnvoyConfig, type RateLimitPolicy, rateLimitActions } from "../lib/envoy-config.ts";
import type { FilterChoice } from "./filters.ts";

export interface MeshEnvoyOptions {
  listenerPort: number;
  upstreams: Endpoint[];
  authzGrpcPort: number;
  filters: FilterChoice[];
  echo: boolean;
  log: (line: string) => void;
}

/** One descriptor each (scripts/sandbox/ratelimit-rules.yaml): a request without a subject or risk
 *  level (no identity, no risk engine) skips that descriptor. */
export const SANDBOX_RATE_LIMITS: RateLimitPolicy[] = [
  { actions: [rateLimitActions.genericKey("global")] },
  { actions: [rateLimitActions.authzMetadata("risk_level")] },
  { actions: [rateLimitActions.authzMetadata("subject")] },
];

const ENVOY_LOG_PREFIX = /^(\[[^\]]*\]\s*)+/;

/**
 * Which filter made Envoy refuse its config, and why, from Envoy's output: the plugin named by
 * `Plugin <name> failed to load` / `Unable to create Wasm plugin <name>` (else the last filter), and
 * the first `[error]` line about it — for Meshward's filters the config error they log in
 * on_configure — without Envoy's log prefix, at most 300 characters.
 */
export function diagnoseRefusal(output: string, loaded: readonly string[]): { name?: string; reason: string } {
  const lines = output.split("\n");
  const named = /Plugin (\S+) failed to load|Unable to create Wasm plugin ([^\s`]+)/;
  let name: string | undefined;
  for (const line of lines) {
    const m = named.exec(line);
    const candidate = m?.[1] ?? m?.[2];
    if (candidate && loaded.includes(candidate)) {
      name = candidate;
      break;
    }
  }
  const errors = lines.filter((l) => /\[(error|critical)\]/.test(l));
  const line =
    errors.find((l) => name !== undefined && l.includes(name) && !named.test(l)) ??
    errors[0] ??
    lines.find((l) => l.trim() !== "");
  return {
    ...(name !== undefined ? { name } : {}),
    reason: (line ?? "").replace(ENVOY_LOG_PREFIX, "").trim().slice(0, 300),
  };
}

export async function startMeshEnvoy(options: MeshEnvoyOptions): Promise<RunningEnvoy> {
  const loaded = options.filters.filter((f) => f.spec);
  for (;;) {
    try {
      return await startEnvoy(
        meshEnvoyConfig({
          listenerPort: options.listenerPort,
          upstreams: options.upstreams,
          upstreamLbPolicy: "override-host",
          extAuthz: { mode: "grpc", server: { host: "127.0.0.1", port: options.authzGrpcPort }, timeoutMs: 2000 },
          rateLimit: {
            servers: [{ host: "127.0.0.1", port: options.authzGrpcPort }],
            domain: "mesh",
            // Envoy's default is 20 ms; a sandbox on a busy laptop gets more before it fails open.
            timeoutMs: 500,
            rateLimits: SANDBOX_RATE_LIMITS,
          },
          wasmFilters: loaded.map((f) => f.spec as NonNullable<FilterChoice["spec"]>),
        }),
        { echo: options.echo },
      );
    } catch (err) {
      if (loaded.length === 0) throw err;
      const diagnosis = diagnoseRefusal(
        (err as Error).message,
        loaded.map((f) => f.name),
      );
      const index =
        diagnosis.name === undefined ? loaded.length - 1 : loaded.findIndex((f) => f.name === diagnosis.name);
      const [dropped] = loaded.splice(index, 1) as [FilterChoice];
      dropped.note = `refused by Envoy, left out: ${diagnosis.reason}`;
      delete dropped.spec;
      options.log(`sandbox: filter ${dropped.name} absent — ${dropped.note}; starting Envoy without it`);
    }
  }
}
