// Admission fairness under a flood (authz-server/src/transport/admission.ts): one caller keeps as
// many checks in flight as it can — checks carrying a token, which wait on the exhaustion target's
// JWKS that never answers until the check deadline, as behind a slow dependency — while an honest
// caller sends plain checks at a steady rate from a worker thread of its own
// (normal-checks.worker.mjs). Over gRPC the flood comes on its own HTTP/2 connections and the
// honest caller on another; over HTTP the flood is many connections from 127.0.0.1 and the honest
// caller comes from 127.0.0.2 (HTTP callers are told apart by peer address). Used by test/security/admission-fairness.e2e.test.ts (short) and
// `npm run soak:exhaustion` (long, scripts/soak-exhaustion.ts).
import { Agent, request as httpRequest } from "node:http";
import {
  CAPS,
  type CallResult,
  CHECK_DEADLINE_MS,
  encodedCheck,
  grpcCall,
  grpcClients,
  type NormalChecks,
  normalChecks,
  type ProbeStats,
  startExhaustionTarget,
  TOKEN,
} from "./exhaustion-run.ts";

export interface FloodStats {
  sent: number;
  counts: Record<string, number>;
}

export interface Flood {
  stop(): Promise<FloodStats>;
}

/** After a refusal a flooding lane waits this long before it sends again: the flood stays at the
 *  cap without spinning the shared machine's CPU on refusals. */
const REFUSED_PAUSE_MS = 2;

const REFUSED = /overloaded|MW_OVERLOADED|error/;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `lanes` loops that each send a check and, once it is answered, the next, until stopped. */
function flood(lanes: number, send: () => Promise<string>, close: () => void): Flood {
  const stats: FloodStats = { sent: 0, counts: {} };
  let stopped = false;
  const lane = async () => {
    while (!stopped) {
      stats.sent++;
      const result = await send();
      stats.counts[result] = (stats.counts[result] ?? 0) + 1;
      if (REFUSED.test(result)) await pause(REFUSED_PAUSE_MS);
    }
  };
  const running = Promise.all(Array.from({ length: lanes }, lane));
  return {
    stop: async () => {
      stopped = true;
      await running;
      close();
      return stats;
    },
  };
}

/** `lanes` waiting checks at a time over `connections` gRPC connections (a connection carries at
 *  most grpc.maxConcurrentStreams of them, 128 by default). */
export function grpcFlood(port: number, lanes: number, connections = 1): Flood {
  const clients = grpcClients(port, connections);
  const bytes = encodedCheck({ token: true });
  let next = 0;
  return flood(
    lanes,
    async (): Promise<CallResult> => {
      const client = clients[next++ % clients.length] as (typeof clients)[number];
      return (await grpcCall(client, bytes, 10_000)).result;
    },
    () => {
      for (const client of clients) client.close();
    },
  );
}

/** `connections` HTTP/1.1 keep-alive connections from 127.0.0.1, each with a waiting check at a
 *  time. Answers are counted as `status reason`. */
export function httpFlood(port: number, connections: number): Flood {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  return flood(
    connections,
    () => waitingHttpCheck(port, agent),
    () => agent.destroy(),
  );
}

function waitingHttpCheck(port: number, agent: Agent): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/check/public/x",
        localAddress: "127.0.0.1",
        headers: { authorization: `Bearer ${TOKEN}` },
        timeout: 10_000,
        agent,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(`${res.statusCode} ${res.headers["x-meshward-reason"] ?? ""}`.trim()));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve("error"));
    req.end();
  });
}

export interface FairnessReport {
  maxInFlight: number;
  seconds: number;
  grpc: { flood: FloodStats; honest: ProbeStats };
  http: { flood: FloodStats; honest: ProbeStats };
}

export interface FairnessOptions {
  /** check.maxInFlight of the server (the default configuration's when absent). */
  maxInFlight?: number;
  /** How long each phase (gRPC, then HTTP) floods. */
  seconds: number;
  /** Checks the flood keeps in flight: more than the cap. */
  floodLanes: number;
  /** gRPC connections the flood spreads them over (1 when absent). */
  floodConnections?: number;
  /** Honest checks are sent this often... */
  honestEveryMs: number;
  /** ...with this gRPC deadline (the production one when absent; the short suite waits longer, since
   *  it asserts admission, not latency). */
  honestDeadlineMs?: number;
}

/** One flood per listener, each with an honest caller beside it, against a fresh server process. */
export async function runFairness(options: FairnessOptions): Promise<FairnessReport> {
  const target = await startExhaustionTarget(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {});
  try {
    const phase = async (start: () => Flood, probe: () => NormalChecks) => {
      const flooding = start();
      await pause(CHECK_DEADLINE_MS * 2); // the flood holds every slot it can before the honest caller starts
      const honest = probe();
      await honest.ready;
      await pause(options.seconds * 1000);
      const honestStats = await honest.stop();
      return { flood: await flooding.stop(), honest: honestStats };
    };
    const grpc = await phase(
      () => grpcFlood(target.authz.grpcPort, options.floodLanes, options.floodConnections),
      () => normalChecks(target.authz.grpcPort, options.honestEveryMs, options.honestDeadlineMs),
    );
    const http = await phase(
      () => httpFlood(target.authz.httpPort, options.floodLanes),
      () => normalChecks(target.authz.httpPort, options.honestEveryMs, options.honestDeadlineMs, "127.0.0.2"),
    );
    return { maxInFlight: options.maxInFlight ?? CAPS.checks, seconds: options.seconds, grpc, http };
  } finally {
    await target.close();
  }
}
