// HTTP listener (fastify): Envoy's HTTP ext_authz mode under `checkPathPrefix`, and the operations
// endpoints /healthz (process up), /readyz (a bundle is active), /metrics (Prometheus) and /status
// (bundle and identity state, with the last error). Only transport concerns live here.
import type { IncomingHttpHeaders } from "node:http";
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from "fastify";
import type { CheckService } from "../check-service.ts";
import type { TlsFiles } from "./grpc-server.ts";
import { toCheckRequest, toHttpReply } from "./http-check.ts";

export interface HttpTransportOptions {
  host: string;
  port: number;
  tls?: TlsFiles;
  checkPathPrefix: string;
  entrypointHeader?: string;
  entrypointContextKey: string;
  principalFromXfcc: boolean;
  maxBodyBytes: number;
  checkTimeoutMs: number;
  isReady: () => boolean;
  metrics: () => Promise<string>;
  status: () => unknown;
  /** Further routes on this listener (the live page, authz-server/src/dashboard/). */
  plugins?: FastifyPluginAsync[];
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
    this.app = Fastify({
      logger: false,
      bodyLimit: Math.max(1, options.maxBodyBytes),
      ...(tls
        ? {
            https: {
              cert: tls.cert,
              key: tls.key,
              ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
            },
          }
        : {}),
    }) as unknown as FastifyInstance;
    // Checks must see the body exactly as sent, whatever its type: no JSON parsing here.
    this.app.removeAllContentTypeParsers();
    this.app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    this.routes();
    for (const plugin of options.plugins ?? []) void this.app.register(plugin);
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
      req: { method: string; url: string; headers: IncomingHttpHeaders; body: unknown; raw: { httpVersion: string } },
      reply: import("fastify").FastifyReply,
    ) => {
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
      const outcome = await this.checks.check(request, performance.now() + options.checkTimeoutMs);
      const answer = toHttpReply(outcome.response, outcome.record.decisionId);
      reply.code(answer.status);
      for (const [name, value] of answer.headers) reply.header(name, value);
      return reply.send(answer.body);
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

  async listen(): Promise<number> {
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const address = this.app.server.address();
    return typeof address === "object" && address ? address.port : this.options.port;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}
