// Starts the sandbox's Envoy: ext_authz (gRPC) → the Meshward filters that are available → one
// upstream cluster of several endpoints under the override-host LB policy (the adaptive-lb filter's
// pick, else round robin). If Envoy refuses the configuration (a filter that fails to load under
// FAIL_CLOSED), it is started again without the last filter, and the line says which was dropped.
import { type RunningEnvoy, startEnvoy } from "../lib/envoy.ts";
import { type Endpoint, meshEnvoyConfig } from "../lib/envoy-config.ts";
import type { FilterChoice } from "./filters.ts";

export interface MeshEnvoyOptions {
  listenerPort: number;
  upstreams: Endpoint[];
  authzGrpcPort: number;
  filters: FilterChoice[];
  echo: boolean;
  log: (line: string) => void;
}

/** The first line of Envoy's output that explains a refused config, for the sandbox's message. */
function refusal(err: Error): string {
  const line = err.message.split("\n").find((l) => /error|fail|wasm/i.test(l) && !/^envoy: /.test(l));
  // Envoy's log prefix ([time][thread][level][component] [file:line]) says nothing to the reader.
  return (line ?? err.message.split("\n")[0] ?? "")
    .replace(/^(\[[^\]]*\]\s*)+/, "")
    .trim()
    .slice(0, 300);
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
          wasmFilters: loaded.map((f) => f.spec as NonNullable<FilterChoice["spec"]>),
        }),
        { echo: options.echo },
      );
    } catch (err) {
      const dropped = loaded.pop();
      if (!dropped) throw err;
      dropped.note = `refused by Envoy, left out: ${refusal(err as Error)}`;
      delete dropped.spec;
      options.log(`sandbox: filter ${dropped.name} absent — ${dropped.note}; starting Envoy without it`);
    }
  }
}
