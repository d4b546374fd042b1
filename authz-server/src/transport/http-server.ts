// HTTP listener (fastify): Envoy's HTTP ext_authz mode under `checkPathPrefix`, and the operations
// endpoints /healthz (process up), /readyz (a bundle is active), /metrics (Prometheus) and /status
// (bundle and identity state, with the last error). Only transport concerns live here.
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import Fastify, { type FastifyInstance } from "fastify";
import type { CheckService } from "../check/check-service.ts";
import type { CheckResponse } from "../gen/envoy/service/auth/v3/external_auth_pb.ts";
import type { Admission } from "./admission.ts";
import type { TlsFiles } from "./grpc-server.ts";
import { toCheckRequest, toHttpReply } from "./http-check.ts";
import { mountRouteGroup, type RouteGroup } from "./route-group.ts";

export interface HttpTransportOptions {
  host: string;
  port: number;
  tls?: TlsFiles;
  checkPathPrefix: string;
  entrypointHeader?: string;
  entrypointContextKey: string;
  principalFromXfcc: boolean;
  maxBodyBytes: number;
  /** A request (headers and body) must arrive within this time, or the connection is closed. */
  requestTimeoutMs: number;
  checkTimeoutMs: number;
  admission: Admission;
  isReady: () => boolean;
  metrics: () => Promise<string>;
  status: () => unknown;
  /** Further routes on this listener (the live page, authz-server/src/dashboard/). */
  routeGroups?: RouteGroup[];
  /** Security events (events/admin-events.ts), mounted as `POST adminPath` when set. */
  adminEvents?: (
    authorization: string | undefined,
    body: Buffer | undefined,
  ) => Promise<{ status: number; headers: Record<string, string>; body: unknown }>;
  adminPath?: string;
}

export class HttpTransport {
  private readonly app: FastifyInstance;

  constructor(
    private readonly checks: CheckService,
    private readonly options: HttpTransportOptions,
  ) {
    const tls = options.tls;
    // Slow clients hold a connection and a buffer each: a whole request (headers and body) must
    // arrive within requestTimeoutMs. Node checks that on an interval (30 s by default), so the
    // server is made here with an interval that matches the timeout.
    const timeouts = {
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: options.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(options.requestTimeoutMs / 4))),
    };
    this.app = Fastify({
      logger: false,
      bodyLimit: Math.max(1, options.maxBodyBytes),
      serverFactory: (handler) =>
        tls
          ? createHttpsServer(
              {
                ...timeouts,
                cert: tls.cert,
                key: tls.key,
                ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
              },
              handler,
            )
          : createHttpServer(timeouts, handler),
    }) as unknown as FastifyInstance;
    // Checks must see the body exactly as sent, whatever its type: no JSON parsing here.
    this.app.removeAllContentTypeParsers();
    this.app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    this.routes();
    for (const group of options.routeGroups ?? []) mountRouteGroup(this.app, group);
  }

  private routes(): void {
    const { options } = this;
    this.app.get("/healthz", async () => ({ status: "ok" }));
    this.app.get("/readyz", async (_req, reply) => {
      const ready = options.isReady();
      return reply.code(ready ? 200 : 503).send({ ready });
    });
    this.app.get("/metrics", async (_req, reply) =>
      reply.type("text/plain; version=0.0.4; charset=utf-8").send(await options.metrics()),
    );
    this.app.get("/status", async () => options.status());
    const adminEvents = options.adminEvents;
    if (adminEvents && options.adminPath) {
      this.app.post(options.adminPath, async (req, reply) => {
        const answer = await adminEvents(req.headers.authorization, Buffer.isBuffer(req.body) ? req.body : undefined);
        reply.code(answer.status).headers(answer.headers);
        return reply.send(JSON.stringify(answer.body));
      });
    }
    const handler = async (
      req: {
        method: string;
        url: string;
        headers: IncomingHttpHeaders;
        body: unknown;
        raw: { httpVersion: string; socket: { remoteAddress?: string | undefined } };
      },
      reply: import("fastify").FastifyReply,
    ) => {
      // The body is already buffered (at most maxBodyBytes); admission bounds how many such
      // buffers are being decided at once, counting the body and the request line.
      const size = (Buffer.isBuffer(req.body) ? req.body.length : 0) + req.url.length;
      // Fairness is per peer address, not per connection: HTTP/1.1 carries one request at a time
      // on a connection, so a client floods with many connections, all from its address.
      const caller = req.raw.socket.remoteAddress ?? "";
      if (!options.admission.tryAdmit(size, caller)) {
        const refused = this.checks.overloaded();
        return this.send(reply, refused.response, refused.record.decisionId);
      }
      const deadline = performance.now() + options.checkTimeoutMs;
      try {
        const outcome = await options.admission.schedule(size, () => this.decide(req, deadline));
        return this.send(reply, outcome.response, outcome.record.decisionId);
      } finally {
        options.admission.release(size, caller);
      }
    };
    this.app.route({
      method: ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"],
      url: options.checkPathPrefix,
      handler,
    });
    this.app.route({
      method: ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"],
      url: `${options.checkPathPrefix}/*`,
      handler,
    });
  }

  private decide(
    req: { method: string; url: string; headers: IncomingHttpHeaders; body: unknown; raw: { httpVersion: string } },
    deadline: number,
  ) {
    const { options } = this;
    const request = toCheckRequest(
      {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.isBuffer(req.body) ? req.body : undefined,
        protocol: `HTTP/${req.raw.httpVersion}`,
      },
      {
        checkPathPrefix: options.checkPathPrefix,
        entrypointContextKey: options.entrypointContextKey,
        principalFromXfcc: options.principalFromXfcc,
        ...(options.entrypointHeader ? { entrypointHeader: options.entrypointHeader } : {}),
      },
    );
    return this.checks.check(request, deadline);
  }

  private send(reply: import("fastify").FastifyReply, response: CheckResponse, decisionId: string) {
    const answer = toHttpReply(response, decisionId);
    reply.code(answer.status);
    for (const [name, value] of answer.headers) reply.header(name, value);
    return reply.send(answer.body);
  }

  async listen(): Promise<number> {
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const address = this.app.server.address();
    return typeof address === "object" && address ? address.port : this.options.port;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}
