// Tier 4: the authz server under gRPC load, as Envoy would drive it: throughput at saturation with
// the server's CPU per Check, and latency percentiles at a fixed 1000 checks/s.
// The peer this tier is meant to compare with, opa-envoy-plugin, cannot be installed on this
// machine (the Go module proxy refuses github.com/open-policy-agent/opa-envoy-plugin), so the
// report states its published figures as the anchor instead of measuring it.
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { runGrpcCheckLoad } from "../lib/ghz.ts";
import { CLOCK_TICKS_PER_SECOND, cpuTicks } from "../lib/proc-cpu.ts";

export interface AuthzLoadOptions {
  saturationRequests: number;
  saturationConcurrency: number;
  fixedRateRequests: number;
  fixedRps: number;
}

export interface AuthzLoadResult {
  saturation: {
    throughputRps: number;
    cpuUsPerCheck: number;
    p50Ms: number;
    p99Ms: number;
    errors: number;
    ticks: number;
  };
  fixedRate: { rps: number; p50Ms: number; p90Ms: number; p99Ms: number; errors: number };
}

/** An allowed request for the default policy (GET /public/…), with the headers Envoy typically sends. */
export const SAMPLE_CHECK = {
  attributes: {
    source: { address: { socketAddress: { address: "10.0.0.7", portValue: 51234 } } },
    destination: { address: { socketAddress: { address: "10.0.0.9", portValue: 8080 } } },
    request: {
      http: {
        id: "bench-1",
        method: "GET",
        path: "/public/items?page=2",
        host: "shop.example.com",
        scheme: "http",
        protocol: "HTTP/1.1",
        headers: {
          ":authority": "shop.example.com",
          ":method": "GET",
          ":path": "/public/items?page=2",
          "user-agent": "bench/1.0",
          accept: "application/json",
          "x-request-id": "bench-1",
        },
      },
    },
  },
};

export async function benchAuthzGrpc(options: AuthzLoadOptions): Promise<AuthzLoadResult> {
  let authz: AuthzProcess | undefined;
  try {
    authz = await startAuthzProcess();
    const target = `127.0.0.1:${authz.grpcPort}`;
    await runGrpcCheckLoad({ target, request: SAMPLE_CHECK, requests: 3000, concurrency: 8 }); // warm-up (JIT)
    const before = cpuTicks(authz.process.pid);
    const sat = await runGrpcCheckLoad({
      target,
      request: SAMPLE_CHECK,
      requests: options.saturationRequests,
      concurrency: options.saturationConcurrency,
    });
    const ticks = cpuTicks(authz.process.pid) - before;
    const fixed = await runGrpcCheckLoad({
      target,
      request: SAMPLE_CHECK,
      requests: options.fixedRateRequests,
      concurrency: 8,
      rps: options.fixedRps,
    });
    return {
      saturation: {
        throughputRps: sat.throughputRps,
        cpuUsPerCheck: ((ticks / CLOCK_TICKS_PER_SECOND) * 1e6) / options.saturationRequests,
        p50Ms: sat.latencyMs.p50,
        p99Ms: sat.latencyMs.p99,
        errors: sat.errors,
        ticks,
      },
      fixedRate: {
        rps: options.fixedRps,
        p50Ms: fixed.latencyMs.p50,
        p90Ms: fixed.latencyMs.p90,
        p99Ms: fixed.latencyMs.p99,
        errors: fixed.errors,
      },
    };
  } finally {
    await authz?.stop();
  }
}
