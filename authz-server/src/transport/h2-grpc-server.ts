// A gRPC server for unary and server-streaming methods directly on node:http2 (nghttp2 does the
// HTTP/2: framing, HPACK, flow control, its flood protections). It replaces @grpc/grpc-js's server,
// whose per-call machinery (interceptor chain, metadata objects, channelz, a timer per deadline)
// cost more CPU than a whole check elsewhere: measured side by side on fixed responses, grpc-js
// took 67–89 µs of CPU per unary call, node:http2 alone 37–48 µs (bench/README.md).
//
// Semantics kept from grpc-js's server (PROTOCOL-HTTP2.md): POST only (else HTTP 405), content-type
// application/grpc* (else HTTP 415), unknown method → UNIMPLEMENTED, a `grpc-encoding` other than
// identity → UNIMPLEMENTED with `grpc-accept-encoding: identity`, a request larger than
// `maxReceiveBytes` → RESOURCE_EXHAUSTED (refused from the length prefix, before it is buffered),
// `grpc-timeout` → the call's deadline (DEADLINE_EXCEEDED when the answer is not ready in time),
// errors as `grpc-status` + percent-encoded `grpc-message` in a trailers-only response, keepalive
// pings with a timeout, TLS and mTLS, graceful shutdown (GOAWAY, in-flight calls finish).
import * as http2 from "node:http2";
import {
  encodeGrpcMessage,
  frameMessage,
  GrpcError,
  GrpcStatus,
  MESSAGE_PREFIX_BYTES,
  parseGrpcTimeout,
  unaryMessage,
} from "./grpc-wire.ts";

/** What a handler knows about its call. */
export interface CallContext {
  /** The caller's deadline on the `performance.now()` clock, if it sent one. */
  deadlineMs: number | undefined;
  /** The HTTP/2 connection the call came on, compared by identity (admission fairness). */
  readonly connection: object;
}

export interface UnaryMethod<Req, Res> {
  kind: "unary";
  decode(bytes: Uint8Array): Req;
  encode(response: Res): Uint8Array;
  /** Throw or reject with a GrpcError for a status; anything else becomes INTERNAL. */
  handle(request: Req, call: CallContext): Res | Promise<Res>;
}

/** The writable side of a server-streaming call. */
export interface ResponseStream<Res> {
  write(response: Res): void;
  /** Ends the call with OK. */
  end(): void;
  readonly cancelled: boolean;
}

export interface ServerStreamMethod<Req, Res> {
  kind: "server-stream";
  decode(bytes: Uint8Array): Req;
  encode(response: Res): Uint8Array;
  handle(request: Req, stream: ResponseStream<Res>, call: CallContext): void;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds methods of every message type
export type GrpcMethod = UnaryMethod<any, any> | ServerStreamMethod<any, any>;

export interface TlsFiles {
  /** PEM certificate chain and private key of this listener. */
  cert: string;
  key: string;
  /** PEM CA bundle; when set, clients must present a certificate it signed (mTLS). */
  clientCa?: string;
}

export interface H2GrpcServerOptions {
  /** Largest request message accepted, bytes. */
  maxReceiveBytes: number;
  /** Ping each connection this often (ms); Infinity: never (grpc-js's default is 2 h). */
  keepaliveTimeMs?: number;
  /** Close a connection whose ping is not answered within this many ms. */
  keepaliveTimeoutMs?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS per connection. */
  maxConcurrentStreams?: number;
  tls?: TlsFiles;
}

const OK_HEADERS = Object.freeze({ ":status": 200, "content-type": "application/grpc" });
const OK_TRAILERS = Object.freeze({ "grpc-status": "0" });
/** Calls with a deadline still unanswered are checked this often. */
const DEADLINE_SWEEP_MS = 5;
const MAX_HEADER_LIST_BYTES = 16 * 1024;

const ignore = () => {};

/** One call from its headers to its status. */
class Call implements CallContext {
  answered = false;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    readonly deadlineMs: number | undefined,
    readonly connection: object,
  ) {}

  /** A trailers-only response carrying `code` (nothing was sent before). */
  fail(code: number, message: string, extra?: http2.OutgoingHttpHeaders): void {
    if (this.answered) return;
    this.answered = true;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    if (stream.headersSent) {
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": String(code),
        "grpc-message": encodeGrpcMessage(message),
        ...extra,
      },
      { endStream: true },
    );
  }

  reply(payload: Uint8Array): void {
    if (this.answered) return;
    this.answered = true;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    stream.respond(OK_HEADERS, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers(OK_TRAILERS));
    stream.end(frameMessage(payload));
  }
}

function statusOf(err: unknown): { code: number; message: string } {
  if (err instanceof GrpcError) return { code: err.code, message: err.message };
  return { code: GrpcStatus.INTERNAL, message: (err as Error)?.message ?? String(err) };
}

export class H2GrpcServer {
  private readonly methods = new Map<string, GrpcMethod>();
  private readonly server: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly watching = new Set<Call>();
  /** Unanswered calls that have a deadline. */
  private readonly pending = new Set<Call>();
  private sweeper: NodeJS.Timeout | undefined;
  private boundPort = 0;

  constructor(private readonly options: H2GrpcServerOptions) {
    const settings: http2.Settings = { maxHeaderListSize: MAX_HEADER_LIST_BYTES };
    if (options.maxConcurrentStreams !== undefined) settings.maxConcurrentStreams = options.maxConcurrentStreams;
    const tls = options.tls;
    this.server = tls
      ? http2.createSecureServer({
          cert: tls.cert,
          key: tls.key,
          ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          allowHTTP1: false,
          settings,
        })
      : http2.createServer({ settings });
    this.server.on("session", (session) => this.onSession(session));
    this.server.on("stream", (stream, headers) => this.onStream(stream, headers));
    this.server.on("sessionError", ignore);
    this.server.on("error", ignore);
  }

  /** Registers `/<service>/<method>`; a later registration of the same path replaces it. */
  add(path: string, method: GrpcMethod): void {
    this.methods.set(path, method);
  }

  get port(): number {
    return this.boundPort;
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen(port, host, () => {
        this.server.off("error", onError);
        const address = this.server.address();
        this.boundPort = typeof address === "object" && address !== null ? address.port : port;
        resolve(this.boundPort);
      });
    });
  }

  /** Stops accepting, lets calls in flight finish (GOAWAY), then closes what is left after `graceMs`. */
  close(graceMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      for (const call of this.watching) call.fail(GrpcStatus.UNAVAILABLE, "server shutting down");
      this.watching.clear();
      const timer = setTimeout(() => {
        for (const session of this.sessions) session.destroy();
      }, graceMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        if (this.sweeper) clearInterval(this.sweeper);
        resolve();
      });
      for (const session of this.sessions) session.close();
    });
  }

  private onSession(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    session.on("error", ignore);
    const keepalive = this.options.keepaliveTimeMs ?? Number.POSITIVE_INFINITY;
    let pinger: NodeJS.Timeout | undefined;
    if (Number.isFinite(keepalive)) {
      const timeoutMs = this.options.keepaliveTimeoutMs ?? 20_000;
      pinger = setInterval(() => {
        const timeout = setTimeout(() => session.destroy(), timeoutMs);
        timeout.unref();
        const sent = session.ping((err) => {
          clearTimeout(timeout);
          if (err) session.destroy();
        });
        if (!sent) clearTimeout(timeout);
      }, keepalive);
      pinger.unref();
    }
    session.once("close", () => {
      this.sessions.delete(session);
      if (pinger) clearInterval(pinger);
    });
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on("error", ignore);
    if (headers[":method"] !== "POST") {
      stream.respond({ ":status": 405 }, { endStream: true });
      return;
    }
    const contentType = headers["content-type"];
    if (typeof contentType !== "string" || !contentType.startsWith("application/grpc")) {
      stream.respond({ ":status": 415 }, { endStream: true });
      return;
    }
    const timeoutMs = parseGrpcTimeout(headers["grpc-timeout"] as string | undefined);
    const call = new Call(
      stream,
      timeoutMs === undefined ? undefined : performance.now() + timeoutMs,
      stream.session ?? stream,
    );
    const method = this.methods.get(headers[":path"] as string);
    if (method === undefined) {
      call.fail(GrpcStatus.UNIMPLEMENTED, `unknown method ${headers[":path"]}`);
      return;
    }
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      call.fail(GrpcStatus.UNIMPLEMENTED, `unsupported grpc-encoding ${encoding}`, {
        "grpc-accept-encoding": "identity",
      });
      return;
    }
    const max = this.options.maxReceiveBytes;
    let body: Buffer | undefined;
    let parts: Buffer[] | undefined;
    let size = 0;
    let declared = -1;
    stream.on("data", (chunk: Buffer) => {
      if (call.answered) return; // refused already: the rest is discarded
      size += chunk.length;
      if (body === undefined) body = chunk;
      else {
        parts ??= [body];
        parts.push(chunk);
      }
      // The declared length is known from the first 5 bytes: refuse before buffering the rest.
      if (declared < 0 && size >= MESSAGE_PREFIX_BYTES) {
        declared = (parts ? Buffer.concat(parts) : body).readUInt32BE(1);
      }
      if (declared > max || size > max + MESSAGE_PREFIX_BYTES) {
        call.fail(GrpcStatus.RESOURCE_EXHAUSTED, `request message larger than ${max} bytes`);
        body = undefined;
        parts = undefined;
      }
    });
    stream.on("end", () => {
      if (call.answered) return;
      const all = parts ? Buffer.concat(parts) : (body ?? Buffer.alloc(0));
      this.dispatch(call, method, all);
    });
    stream.on("close", () => {
      call.answered = true; // cancelled or done: nothing more is sent
      this.pending.delete(call);
      this.watching.delete(call);
    });
  }

  private dispatch(call: Call, method: GrpcMethod, body: Buffer): void {
    let request: unknown;
    try {
      request = method.decode(unaryMessage(body));
    } catch (err) {
      call.fail(
        err instanceof GrpcError ? err.code : GrpcStatus.INTERNAL,
        `request not decoded: ${statusOf(err).message}`,
      );
      return;
    }
    if (method.kind === "server-stream") {
      this.watch(call, method, request);
      return;
    }
    let result: unknown;
    try {
      result = method.handle(request, call);
    } catch (err) {
      const { code, message } = statusOf(err);
      call.fail(code, message);
      return;
    }
    if (result instanceof Promise) {
      if (call.deadlineMs !== undefined) this.track(call);
      result.then(
        (response) => this.answer(call, method, response),
        (err) => {
          this.pending.delete(call);
          const { code, message } = statusOf(err);
          call.fail(code, message);
        },
      );
      return;
    }
    this.answer(call, method, result);
  }

  private answer(call: Call, method: GrpcMethod, response: unknown): void {
    this.pending.delete(call);
    if (call.answered) return;
    if (call.deadlineMs !== undefined && performance.now() > call.deadlineMs) {
      call.fail(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded");
      return;
    }
    let payload: Uint8Array;
    try {
      payload = method.encode(response);
    } catch (err) {
      call.fail(GrpcStatus.INTERNAL, `response not encoded: ${statusOf(err).message}`);
      return;
    }
    call.reply(payload);
  }

  private watch(call: Call, method: ServerStreamMethod<unknown, unknown>, request: unknown): void {
    const stream = call.stream;
    this.watching.add(call);
    let started = false;
    const responses: ResponseStream<unknown> = {
      write: (response) => {
        if (call.answered || stream.destroyed) return;
        if (!started) {
          started = true;
          stream.respond(OK_HEADERS, { waitForTrailers: true });
          stream.once("wantTrailers", () => stream.sendTrailers(OK_TRAILERS));
        }
        stream.write(frameMessage(method.encode(response)));
      },
      end: () => {
        if (call.answered || stream.destroyed) return;
        this.watching.delete(call);
        if (!started) {
          call.fail(GrpcStatus.OK, "");
          return;
        }
        call.answered = true;
        stream.end();
      },
      get cancelled() {
        return call.answered;
      },
    };
    try {
      method.handle(request, responses, call);
    } catch (err) {
      const { code, message } = statusOf(err);
      call.fail(code, message);
    }
  }

  /** Expires unanswered calls at their deadline (one timer for all, every DEADLINE_SWEEP_MS). */
  private track(call: Call): void {
    this.pending.add(call);
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => {
      if (this.pending.size === 0) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
        return;
      }
      const now = performance.now();
      for (const c of this.pending) {
        if (now > (c.deadlineMs as number)) {
          this.pending.delete(c);
          c.fail(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded");
        }
      }
    }, DEADLINE_SWEEP_MS);
    this.sweeper.unref();
  }
}
