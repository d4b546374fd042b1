// The sandbox's control API (loopback HTTP, JSON): what the live page shows about the sandbox itself
// and the few knobs it offers. The authz server's dashboard reads and forwards to it; nothing else
// calls it, and no browser may (local-only.ts: loopback Host, no Origin, JSON bodies).
//   GET  /state                 → SandboxState (Envoy admin URL, filters, endpoints, traffic)
//   POST /endpoints/<name>      {"mode": "healthy" | "slow" | "failing"}
//   POST /traffic               {"running": true | false}
// Bodies are at most 1 KiB; anything else is a 400 with a message, and the state is unchanged.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { localRequestProblem } from "../../authz-server/src/dashboard/local-only.ts";
import { parseJsonStrict } from "../../authz-server/src/json/untrusted-json.ts";
import type { SampleUpstream } from "../lib/sample-upstream.ts";
import type { TrafficGenerator, TrafficStatus } from "./traffic.ts";

/** Extra latency of a "slow" endpoint, ms (well above the others' ~1 ms, below Envoy's 15 s route
 *  timeout), and the status a "failing" endpoint answers with. */
export const SLOW_DELAY_MS = 250;
export const FAILING_STATUS = 503;
const MAX_BODY_BYTES = 1024;

export type EndpointMode = "healthy" | "slow" | "failing";

export interface SandboxState {
  listener: string;
  envoyAdminUrl: string;
  /** The sandbox's Prometheus; "" while it has none. */
  prometheusUrl: string;
  /** How much faster than in production its alert rules run (1 = production timing). */
  alertTimeScale: number;
  filters: { name: string; loaded: boolean; note: string }[];
  endpoints: { name: string; address: string; mode: EndpointMode; requests: number }[];
  traffic: TrafficStatus;
}

export interface ControlTargets {
  endpoints: SampleUpstream[];
  /** Filled in once Envoy runs (the authz server starts first, Envoy needs its port). */
  traffic?: TrafficGenerator;
  envoy: { listener: string; adminUrl: string };
  /** Filled in once Prometheus runs (it scrapes Envoy, which starts after the control API). */
  prometheusUrl?: string;
  alertTimeScale?: number;
  filters: SandboxState["filters"];
}

export function endpointMode(upstream: Pick<SampleUpstream, "delayMs" | "failWith">): EndpointMode {
  if (upstream.failWith !== undefined) return "failing";
  return upstream.delayMs > 0 ? "slow" : "healthy";
}

export function setEndpointMode(upstream: SampleUpstream, mode: EndpointMode): void {
  upstream.delayMs = mode === "slow" ? SLOW_DELAY_MS : 0;
  upstream.failWith = mode === "failing" ? FAILING_STATUS : undefined;
}

const IDLE_TRAFFIC: TrafficStatus = {
  running: false,
  ratePerSecond: 0,
  maxDurationMs: 0,
  sent: 0,
  answers: {},
  skipped: 0,
};

export function sandboxState(t: ControlTargets): SandboxState {
  return {
    listener: t.envoy.listener,
    envoyAdminUrl: t.envoy.adminUrl,
    prometheusUrl: t.prometheusUrl ?? "",
    alertTimeScale: t.alertTimeScale ?? 1,
    filters: t.filters,
    endpoints: t.endpoints.map((u) => ({
      name: u.name,
      address: `127.0.0.1:${u.port}`,
      mode: endpointMode(u),
      requests: u.requests,
    })),
    traffic: t.traffic?.status() ?? IDLE_TRAFFIC,
  };
}

class BadRequest extends Error {}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Answer now and discard the rest (destroying the socket would lose the answer).
        reject(new BadRequest(`body over ${MAX_BODY_BYTES} bytes`));
        req.removeAllListeners("data");
        req.resume();
      } else chunks.push(chunk);
    });
    req.on("end", () => {
      try {
        const value: unknown = parseJsonStrict(Buffer.concat(chunks).toString("utf8"));
        if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error();
        resolve(value as Record<string, unknown>);
      } catch {
        reject(new BadRequest("body must be a JSON object"));
      }
    });
    req.on("error", reject);
  });
}

async function route(t: ControlTargets, req: IncomingMessage): Promise<unknown> {
  const path = (req.url ?? "/").split("?")[0] as string;
  if (req.method === "GET" && path === "/state") return sandboxState(t);
  if (req.method === "POST" && path.startsWith("/endpoints/")) {
    const name = decodeURIComponent(path.slice("/endpoints/".length));
    const upstream = t.endpoints.find((u) => u.name === name);
    if (!upstream) throw new BadRequest(`no endpoint named ${JSON.stringify(name)}`);
    const { mode } = await readJson(req);
    if (mode !== "healthy" && mode !== "slow" && mode !== "failing")
      throw new BadRequest('mode must be "healthy", "slow" or "failing"');
    setEndpointMode(upstream, mode);
    return sandboxState(t);
  }
  if (req.method === "POST" && path === "/traffic") {
    const { running } = await readJson(req);
    if (typeof running !== "boolean") throw new BadRequest("running must be true or false");
    if (!t.traffic) throw new BadRequest("Envoy is not up yet");
    if (running) t.traffic.start();
    else t.traffic.stop();
    return sandboxState(t);
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

export interface ControlApi {
  url: string;
  close(): Promise<void>;
}

export async function startControlApi(targets: ControlTargets): Promise<ControlApi> {
  const server: Server = createServer((req, res) => {
    const problem = localRequestProblem(
      {
        method: req.method ?? "GET",
        host: req.headers.host,
        origin: req.headers.origin,
        contentType: req.headers["content-type"],
        secFetchSite: req.headers["sec-fetch-site"] as string | undefined,
      },
      req.socket.localPort ?? 0,
      { allowBrowser: false },
    );
    if (problem) return send(res, 403, { error: problem });
    route(targets, req).then(
      (body) => (body === undefined ? send(res, 404, { error: "not found" }) : send(res, 200, body)),
      (err: Error) => send(res, err instanceof BadRequest ? 400 : 500, { error: err.message }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
