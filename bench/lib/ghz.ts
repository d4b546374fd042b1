// Runs the pinned gRPC load generator `ghz` (go install, `npm run bootstrap -- --bench`) against an
// ext_authz server's Authorization/Check with a fixed CheckRequest, and reads its JSON report.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ghzBinary, repoRoot } from "../../scripts/lib/tools.ts";

export interface GrpcLoadResult {
  requests: number;
  errors: number;
  throughputRps: number;
  latencyMs: { p50: number; p90: number; p99: number };
}

export interface GrpcLoadOptions {
  target: string;
  /** CheckRequest in protojson form. */
  request: unknown;
  requests: number;
  concurrency: number;
  /** HTTP/2 connections the workers share (ghz default 1). Envoy opens one per worker thread and
   *  upstream host, so a server in a mesh sees many. */
  connections?: number;
  /** Constant request rate; 0 = as fast as possible (saturation). */
  rps?: number;
}

const DEPS = join(repoRoot, "node_modules/@grpc/grpc-js-xds/deps");

export async function runGrpcCheckLoad(options: GrpcLoadOptions): Promise<GrpcLoadResult> {
  const ghz = ghzBinary();
  const args = [
    "--insecure",
    "--proto",
    join(DEPS, "envoy-api/envoy/service/auth/v3/external_auth.proto"),
    "--import-paths",
    ["envoy-api", "googleapis", "xds", "protoc-gen-validate"].map((d) => join(DEPS, d)).join(","),
    "--call",
    "envoy.service.auth.v3.Authorization.Check",
    "-d",
    JSON.stringify(options.request),
    "-n",
    String(options.requests),
    "-c",
    String(options.concurrency),
    "--format",
    "json",
  ];
  if (options.connections) args.push("--connections", String(options.connections));
  if (options.rps) args.push("--rps", String(options.rps));
  args.push(options.target);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(ghz, args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    const errs: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => errs.push(c));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(Buffer.concat(chunks).toString("utf8"))
        : reject(new Error(`ghz exited ${code}: ${Buffer.concat(errs).toString("utf8")}`)),
    );
  });
  const report = JSON.parse(out) as {
    count: number;
    rps: number;
    statusCodeDistribution?: Record<string, number>;
    latencyDistribution?: { percentage: number; latency: number }[];
  };
  const at = (p: number) => (report.latencyDistribution?.find((l) => l.percentage === p)?.latency ?? Number.NaN) / 1e6;
  const ok = report.statusCodeDistribution?.OK ?? 0;
  return {
    requests: options.requests,
    errors: options.requests - ok,
    throughputRps: report.rps,
    latencyMs: { p50: at(50), p90: at(90), p99: at(99) },
  };
}
