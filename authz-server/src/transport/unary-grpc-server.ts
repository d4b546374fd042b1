// A gRPC server for unary methods only, directly on node:http2: what Envoy's ratelimit filter and
// gRPC health checkers call, without @grpc/grpc-js's per-call machinery (interceptor chain,
// Metadata objects, channelz, compression negotiation), which costs a tenth of a ShouldRateLimit
// call's CPU (bench/ratelimit.ts). It speaks the gRPC-over-HTTP/2 wire format
// (grpc/grpc PROTOCOL-HTTP2.md):
//
// - request: POST, `content-type: application/grpc[+proto]`, optional `grpc-timeout` (digits and a
//   unit H M S m u n) that becomes the handler's deadline, one length-prefixed message (1 byte
//   compressed flag, 4 bytes big-endian length);
// - response: `:status 200`, the length-prefixed message, trailers `grpc-status` / `grpc-message`
//   (percent-encoded); an error before any message is a Trailers-Only response.
//
// Refused, each with its status: another content type (HTTP 415), another method than POST
// (HTTP 405), an unknown path (UNIMPLEMENTED), a compressed message (UNIMPLEMENTED, with
// `grpc-accept-encoding: identity`: this server offers no compression), a message above
// `maxMessageBytes` (RESOURCE_EXHAUSTED, reading stops), no message or more than one (INTERNAL).
// A handler's rejection becomes its `grpcCode` (else INTERNAL) with its message. A client that
// resets its stream is simply dropped.
import http2 from "node:http2";
import type { TlsFiles } from "./grpc-server.ts";

export interface UnaryMethod<Request = unknown, Response = unknown> {
  /** `/package.Service/Method`. */
  path: string;
  decode(bytes: Uint8Array): Request;
  encode(response: Response): Uint8Array;
  /** `deadlineMs` on performance.now()'s clock, from `grpc-timeout`. */
  handle(request: Request, deadlineMs: number | undefined): Promise<Response>;
}

/** gRPC status codes (grpc/grpc doc/statuscodes.md). */
export const GrpcStatus = {
  ok: 0,
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  resourceExhausted: 8,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
} as const;

/** An error a handler may reject with to choose its gRPC status. */
export class GrpcError extends Error {
  constructor(
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

const TIMEOUT_UNITS_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` ("20m", "1S") in ms, or undefined when absent or malformed. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  return m ? Number(m[1]) * (TIMEOUT_UNITS_MS[m[2] as string] as number) : undefined;
}

/** grpc-message: the UTF-8 bytes outside printable ASCII, and `%`, percent-encoded (the protocol's rule). */
export function encodeGrpcMessage(message: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const GRPC_CONTENT_TYPE = /^application\/grpc(\+proto)?(;|$)/;

export interface UnaryGrpcServerOptions {
  maxMessageBytes: number;
  tls?: TlsFiles;
}

export class UnaryGrpcServer {
  private readonly server: http2.Http2Server | http2.Http2SecureServer;
  private readonly methods: Map<string, UnaryMethod>;
  private boundPort = 0;
  private readonly sessions = new Set<http2.ServerHttp2Session>();

  constructor(
    methods: UnaryMethod[],
    private readonly options: UnaryGrpcServerOptions,
  ) {
    this.methods = new Map(methods.map((m) => [m.path, m as UnaryMethod]));
    const settings = { maxConcurrentStreams: 10_000 };
    const tls = options.tls;
    this.server = tls
      ? http2.createSecureServer({
          cert: tls.cert,
          key: tls.key,
          ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          settings,
        })
      : http2.createServer({ settings });
    this.server.on("stream", (stream, headers) => this.onStream(stream, headers));
    // A broken connection or stream is the client's problem, never a crash of the server.
    this.server.on("sessionError", () => {});
    this.server.on("session", (session) => {
      this.sessions.add(session);
      session.on("error", () => {});
      session.on("close", () => this.sessions.delete(session));
    });
  }

  get port(): number {
    return this.boundPort;
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on("error", () => {});
    if (headers[":method"] !== "POST") {
      respondHttp(stream, 405);
      return;
    }
    const contentType = headers["content-type"];
    if (typeof contentType !== "string" || !GRPC_CONTENT_TYPE.test(contentType)) {
      respondHttp(stream, 415);
      return;
    }
    const method = this.methods.get(headers[":path"] ?? "");
    if (!method) {
      trailersOnly(stream, GrpcStatus.unimplemented, `unknown method ${headers[":path"]}`);
      return;
    }
    const timeout = parseGrpcTimeout(headers["grpc-timeout"] as string | undefined);
    const deadline = timeout === undefined ? undefined : performance.now() + timeout;
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    stream.on("data", (chunk: Buffer) => {
      if (refused) return;
      received += chunk.length;
      if (received > this.options.maxMessageBytes + 5) {
        refused = true;
        trailersOnly(stream, GrpcStatus.resourceExhausted, `message larger than ${this.options.maxMessageBytes} bytes`);
        return;
      }
      chunks.push(chunk);
    });
    stream.on("end", () => {
      if (refused) return;
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const message = unframe(body);
      if (message === COMPRESSED) {
        trailersOnly(stream, GrpcStatus.unimplemented, "compressed messages are not supported (identity only)");
        return;
      }
      if (typeof message === "string") {
        trailersOnly(stream, GrpcStatus.internal, message);
        return;
      }
      let request: unknown;
      try {
        request = method.decode(message);
      } catch (err) {
        trailersOnly(stream, GrpcStatus.internal, `cannot decode the request: ${(err as Error).message}`);
        return;
      }
      method
        .handle(request, deadline)
        .then((response) => respond(stream, method.encode(response)))
        .catch((err: Error & { grpcCode?: number }) =>
          trailersOnly(stream, err.grpcCode ?? GrpcStatus.internal, err.message),
        );
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen(port, host, () => {
        this.server.off("error", onError);
        const address = this.server.address();
        this.boundPort = typeof address === "object" && address !== null ? address.port : 0;
        resolve(this.boundPort);
      });
    });
  }

  /** Stops accepting (GOAWAY on every connection), lets calls in flight finish for `graceMs`, then
   *  destroys what is left. */
  close(graceMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const session of this.sessions) session.destroy();
        resolve();
      }, graceMs);
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      for (const session of this.sessions) session.close();
    });
  }
}

const COMPRESSED = "compressed";

/** The one length-prefixed message of a unary request, or why there is none. */
function unframe(body: Buffer): Uint8Array | string {
  if (body.length < 5) return "no request message";
  if (body[0] !== 0) return body[0] === 1 ? COMPRESSED : "malformed message prefix";
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return "truncated request message";
  if (body.length > 5 + length) return "more than one request message on a unary call";
  return body.subarray(5);
}

function respondHttp(stream: http2.ServerHttp2Stream, status: number): void {
  if (stream.closed || stream.headersSent) return;
  stream.respond({ ":status": status }, { endStream: true });
}

function trailersOnly(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  if (stream.closed || stream.headersSent) return;
  const headers: http2.OutgoingHttpHeaders = {
    ":status": 200,
    "content-type": "application/grpc",
    "grpc-status": String(code),
    "grpc-message": encodeGrpcMessage(message),
  };
  if (code === GrpcStatus.unimplemented) headers["grpc-accept-encoding"] = "identity";
  stream.respond(headers, { endStream: true });
}

function respond(stream: http2.ServerHttp2Stream, message: Uint8Array): void {
  if (stream.closed || stream.headersSent) return;
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(frame);
}
