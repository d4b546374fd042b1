// The resource-exhaustion harness: the authz server as its own process with its production Node
// flags (scripts/lib/authz-node-flags.ts) and default caps, bursts at 4× those caps over gRPC and
// HTTP, normal checks sent alongside with the production check deadline, and the server's peak
// resident memory (VmHWM) read from /proc. Used by test/security/resource-exhaustion.e2e.test.ts
// (short) and `npm run fuzz -- --only exhaustion` (long).
//
// To hold checks in flight the way a slow dependency does in production, the server's JWT identity
// points at a JWKS that never answers: a check carrying a token waits for it until the check
// deadline. Normal checks carry no token and do not wait.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { type ClientHttp2Session, connect as h2connect } from "node:http2";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { defaultConfig } from "../../authz-server/src/config/schema.ts";
import {
  CheckRequestSchema,
  type CheckResponse,
  CheckResponseSchema,
} from "../../authz-server/src/gen/envoy/service/auth/v3/external_auth_pb.ts";
import { type AuthzProcess, startAuthzProcess } from "../../scripts/lib/authz-process.ts";
import { repoRoot } from "../../scripts/lib/tools.ts";

/** The production check deadline (manifests/authz-server/base/config/authz.yaml: check.timeoutMs). */
export const CHECK_DEADLINE_MS = 400;
/** The Deployment's memory limit (manifests/authz-server/base/deployment.yaml). */
export const MEMORY_LIMIT_MIB = 512;

const DEFAULTS = defaultConfig(repoRoot);
export const CAPS = {
  messageBytes: DEFAULTS.grpc.maxMessageBytes,
  checks: DEFAULTS.check.maxInFlight,
  bytes: DEFAULTS.check.maxBytesInFlight,
  httpBodyBytes: DEFAULTS.http.maxBodyBytes,
};

/** A JWT-shaped token whose key the never-answering JWKS would have to provide: a check carrying it
 *  waits until its deadline. */
export const TOKEN = `${Buffer.from('{"alg":"RS256","kid":"k"}').toString("base64url")}.${Buffer.from('{"sub":"x"}').toString("base64url")}.c2ln`;

export interface ExhaustionTarget {
  authz: AuthzProcess;
  /** Peak resident memory of the server so far (VmHWM), MiB. */
  peakRssMiB(): number;
  rssMiB(): number;
  close(): Promise<void>;
}

function procStatusMiB(pid: number, field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export interface TargetOptions {
  /** http.requestTimeoutMs of the server (slow clients are cut after it). */
  requestTimeoutMs?: number;
  /** Caps other than the defaults (the short suite scales them down). */
  maxInFlight?: number;
  maxBytesInFlight?: number;
}

export async function startExhaustionTarget(options: TargetOptions = {}): Promise<ExhaustionTarget> {
  // A JWKS that accepts the connection and never answers.
  const hanging: Server = createServer(() => {});
  await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  const dir = mkdtempSync(join(tmpdir(), "mw-exhaustion-"));
  const configFile = join(dir, "authz.yaml");
  writeFileSync(
    configFile,
    JSON.stringify({
      check: {
        timeoutMs: CHECK_DEADLINE_MS,
        ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}),
        ...(options.maxBytesInFlight ? { maxBytesInFlight: options.maxBytesInFlight } : {}),
      },
      http: { requestTimeoutMs: options.requestTimeoutMs ?? 10_000 },
      identity: {
        jwt: {
          jwksUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/jwks.json`,
          jwksTimeoutMs: 60_000,
        },
      },
      logging: { level: "warn", decisions: { sampleRate: 0 } },
    }),
  );
  const authz = await startAuthzProcess(["--config", configFile]);
  return {
    authz,
    peakRssMiB: () => procStatusMiB(authz.process.pid, "VmHWM"),
    rssMiB: () => procStatusMiB(authz.process.pid, "VmRSS"),
    close: async () => {
      await authz.stop();
      rmSync(dir, { recursive: true, force: true });
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    },
  };
}

/** An encoded CheckRequest: GET /public/x, or a POST with a JSON body of ~`bodyBytes` (an array
 *  of small numbers: the most objects per byte once parsed), with or without a token. */
export function encodedCheck(options: { bodyBytes?: number; token?: boolean; path?: string } = {}): Buffer {
  const body = options.bodyBytes ? `[${"1,".repeat(Math.max(0, Math.floor(options.bodyBytes / 2) - 1))}1]` : "";
  const request = create(CheckRequestSchema, {
    attributes: {
      request: {
        http: {
          method: body ? "POST" : "GET",
          path: options.path ?? "/public/x",
          headers: {
            ...(body ? { "content-type": "application/json" } : {}),
            ...(options.token ? { authorization: `Bearer ${TOKEN}` } : {}),
          },
          body,
        },
      },
    },
  });
  return Buffer.from(toBinary(CheckRequestSchema, request));
}

type RawClient = grpc.Client & {
  check(bytes: Buffer, options: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: CheckResponse) => void): void;
};

const RAW_CHECK: grpc.ServiceDefinition = {
  check: {
    path: "/envoy.service.auth.v3.Authorization/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: (b: Buffer) => fromBinary(CheckResponseSchema, b),
  },
};

/** `count` clients, each on its own connection. */
export function grpcClients(port: number, count: number): RawClient[] {
  const Client = grpc.makeGenericClientConstructor(RAW_CHECK, "Authorization");
  return Array.from(
    { length: count },
    () =>
      new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
        "grpc.max_send_message_length": -1,
      }) as unknown as RawClient,
  );
}

export type CallResult = "allow" | "deny" | "overloaded" | "refused-size" | "deadline" | "error";

export function reasonOf(response: CheckResponse | undefined): CallResult {
  if (!response) return "error";
  if (response.status?.code === 0) return "allow";
  const reason =
    response.httpResponse.case === "deniedResponse"
      ? response.httpResponse.value.headers.find((h) => h.header?.key === "x-meshward-reason")?.header?.value
      : undefined;
  return reason === "MW_OVERLOADED" ? "overloaded" : "deny";
}

export function grpcCall(
  client: RawClient,
  bytes: Buffer,
  deadlineMs: number,
): Promise<{ result: CallResult; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) =>
    client.check(bytes, { deadline: Date.now() + deadlineMs }, (err, response) => {
      const ms = performance.now() - started;
      if (!err) return resolve({ result: reasonOf(response), ms });
      if (err.code === grpc.status.RESOURCE_EXHAUSTED) return resolve({ result: "refused-size", ms });
      resolve({ result: err.code === grpc.status.DEADLINE_EXCEEDED ? "deadline" : "error", ms });
    }),
  );
}

export interface ProbeStats {
  sent: number;
  counts: Record<string, number>;
  /** Slowest answer, ms. */
  maxMs: number;
  /** Answers that came after the deadline (or never). */
  late: number;
}

export interface NormalChecks {
  /** Resolves once the worker sends checks. */
  ready: Promise<void>;
  stop(): Promise<ProbeStats>;
}

/** Sends a normal check (GET /public/x, no token) every `everyMs` from a worker thread of its own
 *  (normal-checks.worker.mjs) until `stop()`, each with the production deadline unless told
 *  otherwise (`late` always counts answers after the production deadline). Over gRPC on one
 *  connection, or with `httpFrom` over HTTP from that local address, a connection per check. */
export function normalChecks(
  port: number,
  everyMs = 25,
  deadlineMs = CHECK_DEADLINE_MS,
  httpFrom?: string,
): NormalChecks {
  const protocol = httpFrom
    ? { http: { path: "/check/public/x", localAddress: httpFrom } }
    : { request: encodedCheck() };
  const worker = new Worker(new URL("./normal-checks.worker.mjs", import.meta.url), {
    workerData: { port, ...protocol, everyMs, deadlineMs, lateMs: CHECK_DEADLINE_MS },
  });
  const ready = new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  return {
    ready,
    stop: async () => {
      await ready;
      return new Promise<ProbeStats>((resolve, reject) => {
        worker.once("message", (stats: ProbeStats) => {
          void worker.terminate();
          resolve(stats);
        });
        worker.once("error", reject);
        worker.postMessage("stop");
      });
    },
  };
}

/** Fires `count` calls of `bytes` spread over `connections` at once; counts the results. */
export async function grpcBurst(
  port: number,
  bytes: Buffer,
  count: number,
  connections: number,
  deadlineMs = 5000,
): Promise<Partial<Record<CallResult, number>>> {
  const clients = grpcClients(port, connections);
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) => grpcCall(clients[i % connections] as RawClient, bytes, deadlineMs)),
  );
  for (const client of clients) client.close();
  const counts: Partial<Record<CallResult, number>> = {};
  for (const { result } of results) counts[result] = (counts[result] ?? 0) + 1;
  return counts;
}

/** HTTP checks of `bodyBytes` each, `count` at once; counts statuses. */
export async function httpBurst(port: number, bodyBytes: number, count: number): Promise<Record<string, number>> {
  const body = `[${"1,".repeat(Math.max(0, Math.floor(bodyBytes / 2) - 1))}1]`;
  const statuses: Record<string, number> = {};
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const req = httpRequest(
            {
              host: "127.0.0.1",
              port,
              method: "POST",
              path: "/check/public/x",
              headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
              agent: false,
            },
            (res) => {
              const key = `${res.statusCode} ${res.headers["x-meshward-reason"] ?? ""}`.trim();
              statuses[key] = (statuses[key] ?? 0) + 1;
              res.resume();
              res.on("end", resolve);
            },
          );
          req.on("error", () => {
            statuses.error = (statuses.error ?? 0) + 1;
            resolve();
          });
          req.end(body);
        }),
    ),
  );
  return statuses;
}

/** `count` HTTP clients that send a request head one byte every `byteEveryMs` and never finish;
 *  returns how many the server closed by the time `stop()` is called. */
export function slowHttpClients(port: number, count: number, byteEveryMs = 200): { stop(): number } {
  const head = Buffer.from("POST /check/public/x HTTP/1.1\r\nhost: slow\r\ncontent-length: 100000\r\nx-pad: ");
  let closed = 0;
  const sockets = Array.from({ length: count }, () => {
    const socket = connect(port, "127.0.0.1");
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed) return clearInterval(timer);
      socket.write(head.subarray(i % head.length, (i % head.length) + 1));
      i++;
    }, byteEveryMs);
    socket.on("error", () => {});
    socket.on("close", () => {
      closed++;
      clearInterval(timer);
    });
    return socket;
  });
  return {
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}

/** `streams` gRPC calls (over `connections`) that announce a `messageBytes` message and send only
 *  the first `sentBytes` of it, then stall. */
export function slowGrpcStreams(
  port: number,
  streams: number,
  connections: number,
  messageBytes: number,
  sentBytes: number,
): { stop(): void } {
  const sessions: ClientHttp2Session[] = Array.from({ length: connections }, () =>
    h2connect(`http://127.0.0.1:${port}`),
  );
  for (const session of sessions) session.on("error", () => {});
  for (let i = 0; i < streams; i++) {
    const session = sessions[i % connections] as ClientHttp2Session;
    const stream = session.request({
      ":method": "POST",
      ":path": "/envoy.service.auth.v3.Authorization/Check",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("error", () => {});
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(messageBytes, 1);
    stream.write(Buffer.concat([prefix, Buffer.alloc(sentBytes, 1)]));
  }
  return {
    stop: () => {
      for (const session of sessions) session.destroy();
    },
  };
}
