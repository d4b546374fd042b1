// The RateLimitService (loaded only when configured): the runtime, its methods for the authz
// listener, or its own listener (`rateLimit.grpc`, same TLS files as the authz one).
import type { TlsFiles } from "../transport/grpc-server.ts";
import type { Wiring } from "./wiring.ts";

export type RateLimitWiring = NonNullable<Awaited<ReturnType<typeof startRateLimit>>>;

/** Undefined without a `rateLimit:` section. `workers`: processes sharing each limit's fallback. */
export async function startRateLimit({ config, logger, nowMs, metrics }: Wiring, workers: number) {
  if (!config.rateLimit) return undefined;
  const section = config.rateLimit;
  const maxConcurrentStreams = config.grpc.maxConcurrentStreams;
  const [{ createRateLimitRuntime }, methods, { H2GrpcServer }] = await Promise.all([
    import("../ratelimit/runtime.ts"),
    import("../transport/ratelimit-grpc.ts"),
    import("../transport/h2-grpc-server.ts"),
  ]);
  const runtime = createRateLimitRuntime(section, { registry: metrics.registry, logger, nowMs, workers });
  const own = section.grpc;
  let transport: InstanceType<typeof H2GrpcServer> | undefined;
  return {
    runtime,
    name: methods.RATE_LIMIT_SERVICE,
    methods: methods.rateLimitMethods(runtime.service),
    listen: own
      ? async (tls: TlsFiles | undefined) => {
          transport = new H2GrpcServer({
            maxReceiveBytes: own.maxMessageBytes,
            maxConcurrentStreams,
            ...(tls ? { tls } : {}),
          });
          for (const [path, method] of Object.entries(methods.ownListenerMethods(runtime.service, runtime.ready)))
            transport.add(path, method);
          return transport.listen(own.host, own.port);
        }
      : undefined,
    async close() {
      await transport?.close();
      await runtime.close();
    },
  };
}
