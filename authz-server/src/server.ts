// Composition root: wires the policy, the check service and the transports from a config.
import { CheckService } from "./check-service.ts";
import type { AuthzConfig } from "./config.ts";
import { ActivePolicy } from "./policy/active-policy.ts";
import { GrpcTransport } from "./transport/grpc-server.ts";

export interface RunningServer {
  grpcPort: number;
  policy: ActivePolicy;
  close(): Promise<void>;
}

export async function startAuthzServer(config: AuthzConfig): Promise<RunningServer> {
  const policy = new ActivePolicy();
  await policy.activateFromFile(config.bundlePath);
  const checks = new CheckService(
    {
      defaultEntrypoint: config.defaultEntrypoint,
      entrypointContextKey: "meshward_entrypoint",
      errorStatus: config.errorStatus,
      dryRun: false,
      checkTimeoutMs: 1000,
      translate: {},
    },
    { policy },
  );
  const grpcTransport = new GrpcTransport(checks, () => policy.evaluator !== undefined);
  const grpcPort = await grpcTransport.listen(config.grpc);
  return {
    grpcPort,
    policy,
    close: () => grpcTransport.close(),
  };
}
