// The gRPC-on-node:http2 server against real HTTP/2 clients: node:http2 to speak the protocol
// byte by byte (wrong method, content type, encoding, prefixes, sizes, deadlines) and grpc-js to
// check that a stock gRPC client reads its statuses and messages.
import * as http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeGrpcMessage,
  frameMessage,
  GrpcError,
  GrpcStatus,
  parseGrpcTimeout,
  unaryMessage,
} from "../../authz-server/src/transport/grpc-wire.ts";
import { H2GrpcServer } from "../../authz-server/src/transport/h2-grpc-server.ts";

const utf8 = (b: Uint8Array) => Buffer.from(b).toString("utf8");
const bytes = (s: string) => Buffer.from(s, "utf8");

let server: H2GrpcServer;
let port: number;
let slowMs = 0;

beforeAll(async () => {
  server = new H2GrpcServer({ maxReceiveBytes: 1024 });
  server.add("/t.Echo/Say", { kind: "unary", decode: utf8, encode: bytes, handle: (s: string) => `echo:${s}` });
  server.add("/t.Echo/Slow", {
    kind: "unary",
    decode: utf8,
    encode: bytes,
    handle: (s: string) => new Promise((resolve) => setTimeout(() => resolve(`late:${s}`), slowMs)),
  });
  server.add("/t.Echo/Fail", {
    kind: "unary",
    decode: utf8,
    encode: bytes,
    handle: () => {
      throw new GrpcError(GrpcStatus.NOT_FOUND, "no such thing: café 100%");
    },
  });
  server.add("/t.Echo/Crash", {
    kind: "unary",
    decode: utf8,
    encode: bytes,
    handle: () => Promise.reject(new Error("boom")),
  });
  server.add("/t.Echo/Watch", {
    kind: "server-stream",
    decode: utf8,
    encode: bytes,
    handle: (s: string, stream) => {
      stream.write(`one:${s}`);
      stream.write(`two:${s}`);
    },
  });
  port = await server.listen("127.0.0.1", 0);
});

afterAll(() => server.close(500));

interface RawReply {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** One request over a fresh HTTP/2 connection; `body` is sent as is. */
function raw(headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", "content-type": "application/grpc", ...headers });
    let replyHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => {
      replyHeaders = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("close", () => {
      session.close();
      resolve({ headers: replyHeaders, trailers, body: Buffer.concat(chunks) });
    });
    req.end(body);
  });
}

/** grpc-status of a reply: in the trailers, or in the headers of a trailers-only reply. */
const statusOf = (r: RawReply) => Number(r.trailers["grpc-status"] ?? r.headers["grpc-status"]);

describe("gRPC wire helpers", () => {
  it("parses grpc-timeout in every unit and ignores malformed values", () => {
    expect(parseGrpcTimeout("1H")).toBe(3_600_000);
    expect(parseGrpcTimeout("2M")).toBe(120_000);
    expect(parseGrpcTimeout("3S")).toBe(3000);
    expect(parseGrpcTimeout("250m")).toBe(250);
    expect(parseGrpcTimeout("1500u")).toBe(1.5);
    expect(parseGrpcTimeout("99999999n")).toBeCloseTo(99.999999);
    for (const bad of [undefined, "", "S", "10", "1x", "-1S", "123456789S", "1.5S", " 1S"])
      expect(parseGrpcTimeout(bad)).toBeUndefined();
  });

  it("percent-encodes grpc-message outside printable ASCII, '%' included, and caps it", () => {
    expect(encodeGrpcMessage("plain text")).toBe("plain text");
    expect(encodeGrpcMessage("café 100%\n")).toBe("caf%C3%A9 100%25%0A");
    expect(encodeGrpcMessage("x".repeat(5000)).length).toBeLessThan(1100);
  });

  it("takes exactly one uncompressed message from a unary body", () => {
    expect(utf8(unaryMessage(frameMessage(bytes("hi"))))).toBe("hi");
    expect(utf8(unaryMessage(frameMessage(new Uint8Array(0))))).toBe("");
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.alloc(0), /no request message/],
      [Buffer.from([0, 0, 0]), /truncated message prefix/],
      [Buffer.from([0, 0, 0, 0, 9, 1]), /truncated message/],
      [Buffer.concat([frameMessage(bytes("a")), frameMessage(bytes("b"))]), /more than one/],
      [Buffer.from([1, 0, 0, 0, 0]), /compressed/],
    ];
    for (const [body, message] of cases) {
      expect(() => unaryMessage(body)).toThrow(message);
      expect(() => unaryMessage(body)).toThrow(expect.objectContaining({ code: GrpcStatus.INTERNAL }));
    }
  });
});

describe("H2GrpcServer over HTTP/2", () => {
  it("answers a unary call with headers, one message and grpc-status 0 in the trailers", async () => {
    const r = await raw({ ":path": "/t.Echo/Say" }, frameMessage(bytes("hi")));
    expect(r.headers[":status"]).toBe(200);
    expect(r.headers["content-type"]).toBe("application/grpc");
    expect(statusOf(r)).toBe(0);
    expect(utf8(unaryMessage(r.body))).toBe("echo:hi");
  });

  it("refuses methods other than POST (405) and other content types (415)", async () => {
    expect((await raw({ ":method": "GET", ":path": "/t.Echo/Say" })).headers[":status"]).toBe(405);
    const json = await raw({ ":path": "/t.Echo/Say", "content-type": "application/json" }, bytes("{}"));
    expect(json.headers[":status"]).toBe(415);
  });

  it("answers UNIMPLEMENTED for an unknown method and for a compression it does not speak", async () => {
    const unknown = await raw({ ":path": "/t.Echo/Nope" }, frameMessage(bytes("x")));
    expect(statusOf(unknown)).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(unknown.headers["grpc-message"]).toMatch(/unknown method/);
    const gzip = await raw({ ":path": "/t.Echo/Say", "grpc-encoding": "gzip" }, frameMessage(bytes("x")));
    expect(statusOf(gzip)).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(gzip.headers["grpc-accept-encoding"]).toBe("identity");
  });

  it("answers INTERNAL for a missing, truncated, compressed or second message", async () => {
    for (const body of [
      undefined,
      Buffer.from([0, 0, 0, 0, 9, 1]),
      Buffer.from([1, 0, 0, 0, 1, 65]),
      Buffer.concat([frameMessage(bytes("a")), frameMessage(bytes("b"))]),
    ]) {
      expect(statusOf(await raw({ ":path": "/t.Echo/Say" }, body))).toBe(GrpcStatus.INTERNAL);
    }
  });

  it("refuses a message over the size cap from its declared length, and a body over it", async () => {
    const declared = Buffer.from([0, 0, 0, 0x10, 0]); // 4096 bytes announced, none sent
    const a = await raw({ ":path": "/t.Echo/Say" }, declared);
    expect(statusOf(a)).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    const b = await raw({ ":path": "/t.Echo/Say" }, frameMessage(Buffer.alloc(5000, 97)));
    expect(statusOf(b)).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    const atCap = await raw({ ":path": "/t.Echo/Say" }, frameMessage(Buffer.alloc(1024, 97)));
    expect(statusOf(atCap)).toBe(0);
  });

  it("turns handler errors into their status, unexpected ones into INTERNAL, with encoded messages", async () => {
    const fail = await raw({ ":path": "/t.Echo/Fail" }, frameMessage(bytes("x")));
    expect(statusOf(fail)).toBe(GrpcStatus.NOT_FOUND);
    expect(fail.headers["grpc-message"]).toBe("no such thing: caf%C3%A9 100%25");
    const crash = await raw({ ":path": "/t.Echo/Crash" }, frameMessage(bytes("x")));
    expect(statusOf(crash)).toBe(GrpcStatus.INTERNAL);
    expect(crash.headers["grpc-message"]).toBe("boom");
  });

  it("answers DEADLINE_EXCEEDED at the caller's deadline, and in time when the handler is", async () => {
    slowMs = 300;
    const started = performance.now();
    const late = await raw({ ":path": "/t.Echo/Slow", "grpc-timeout": "50m" }, frameMessage(bytes("x")));
    expect(statusOf(late)).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(performance.now() - started).toBeLessThan(250);
    slowMs = 5;
    const ok = await raw({ ":path": "/t.Echo/Slow", "grpc-timeout": "5S" }, frameMessage(bytes("x")));
    expect(statusOf(ok)).toBe(0);
    expect(utf8(unaryMessage(ok.body))).toBe("late:x");
  });

  it("is read by a stock grpc-js client: values, statuses and messages", async () => {
    const id = (b: Buffer) => b;
    const say = (path: string, text: string, deadline = Date.now() + 5000) =>
      new Promise<{ err: grpc.ServiceError | null; value?: string }>((resolve) => {
        const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        client.makeUnaryRequest(path, id, id, bytes(text), { deadline }, (err, value?: Buffer) => {
          client.close();
          resolve({ err, ...(value ? { value: utf8(value) } : {}) });
        });
      });
    expect(await say("/t.Echo/Say", "grpc-js")).toEqual({ err: null, value: "echo:grpc-js" });
    const fail = await say("/t.Echo/Fail", "x");
    expect(fail.err?.code).toBe(grpc.status.NOT_FOUND);
    expect(fail.err?.details).toBe("no such thing: café 100%");
    expect((await say("/t.Echo/Nope", "x")).err?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it("streams a server-streaming call's messages until the client cancels", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const req = session.request({ ":method": "POST", ":path": "/t.Echo/Watch", "content-type": "application/grpc" });
    req.end(frameMessage(bytes("w")));
    let got = Buffer.alloc(0);
    await new Promise<void>((resolve) =>
      req.on("data", (c: Buffer) => {
        got = Buffer.concat([got, c]);
        if (got.length >= 2 * (5 + 5)) resolve();
      }),
    );
    expect(utf8(got.subarray(5, 10))).toBe("one:w");
    expect(utf8(got.subarray(15, 20))).toBe("two:w");
    req.close(http2.constants.NGHTTP2_CANCEL);
    session.close();
  });
});
