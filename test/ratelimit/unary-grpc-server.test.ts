// The lean unary gRPC server (the RateLimitService's own listener) against a real gRPC client
// (@grpc/grpc-js) and raw HTTP/2 frames: calls, errors with codes and messages, deadlines, the
// message cap, compressed and malformed bodies, wrong methods and content types, a client that
// resets its stream, mTLS, and a clean close.
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RateLimitRequestSchema,
  type RateLimitResponse,
  RateLimitResponse_Code,
  RateLimitResponseSchema,
} from "../../authz-server/src/gen/envoy/service/ratelimit/v3/rls_pb.ts";
import {
  encodeGrpcMessage,
  GrpcError,
  GrpcStatus,
  parseGrpcTimeout,
  UnaryGrpcServer,
  type UnaryMethod,
} from "../../authz-server/src/transport/unary-grpc-server.ts";
import { rlsClient, rlsRequest } from "../../scripts/lib/rls-client.ts";
import { makeTestPki } from "../authz/helpers/test-pki.ts";

const PATH = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit";
let server: UnaryGrpcServer | undefined;
let port = 0;
const seenDeadlines: (number | undefined)[] = [];

/** Echoes the domain as the first status's limit remaining; "fail:<code>:<msg>" rejects; "slow" waits. */
const method: UnaryMethod = {
  path: PATH,
  decode: (bytes) => fromBinary(RateLimitRequestSchema, bytes),
  encode: (response) => toBinary(RateLimitResponseSchema, response as RateLimitResponse),
  handle: async (request, deadlineMs) => {
    seenDeadlines.push(deadlineMs === undefined ? undefined : deadlineMs - performance.now());
    const domain = (request as { domain: string }).domain;
    const fail = /^fail:(\d+):(.*)$/.exec(domain);
    if (fail) throw new GrpcError(Number(fail[1]), fail[2] as string);
    if (domain === "throw") throw new Error("unexpected");
    if (domain === "slow") await new Promise((r) => setTimeout(r, 200));
    return create(RateLimitResponseSchema, {
      overallCode: RateLimitResponse_Code.OK,
      statuses: [{ code: RateLimitResponse_Code.OK, limitRemaining: domain.length }],
    });
  },
};

beforeAll(async () => {
  server = new UnaryGrpcServer([method], { maxMessageBytes: 4096 });
  port = await server.listen("127.0.0.1", 0);
});

afterAll(async () => {
  await server?.close(500);
});

/** One raw HTTP/2 request; resolves with the response headers, trailers and body. */
function raw(
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": PATH, "content-type": "application/grpc", ...headers });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => {
      responseHeaders = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      session.close();
      resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
    });
    req.on("error", reject);
    req.end(body);
  });
}

function frame(message: Uint8Array, flag = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flag;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

async function refusal(pending: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await pending;
  } catch (err) {
    return { code: (err as grpc.ServiceError).code, details: (err as grpc.ServiceError).details };
  }
  throw new Error("not refused");
}

describe("UnaryGrpcServer", () => {
  it("answers a real gRPC client, passes its deadline, and maps errors to codes and messages", async () => {
    const client = rlsClient(`127.0.0.1:${port}`);
    try {
      const r = await client.call(rlsRequest("abc", [["k", "v"]]), 3000);
      expect(r.statuses[0]?.limitRemaining).toBe(3);
      expect(seenDeadlines.at(-1)).toBeGreaterThan(2000);
      expect(seenDeadlines.at(-1)).toBeLessThanOrEqual(3000);
      expect(await refusal(client.call(rlsRequest("fail:3:bad input, ünïcode %", [["k", "v"]])))).toEqual({
        code: grpc.status.INVALID_ARGUMENT,
        details: "bad input, ünïcode %",
      });
      expect((await refusal(client.call(rlsRequest("throw", [["k", "v"]])))).code).toBe(grpc.status.INTERNAL);
      // Many calls at once on one connection.
      const many = await Promise.all(
        Array.from({ length: 300 }, (_, i) => client.call(rlsRequest("x".repeat(i % 50), [["k", "v"]]))),
      );
      expect(many.map((m) => m.statuses[0]?.limitRemaining)).toEqual(Array.from({ length: 300 }, (_, i) => i % 50));
      // Beyond the 4 KiB cap: refused before decoding.
      expect((await refusal(client.call(rlsRequest("big", [["k", "v".repeat(5000)]])))).code).toBe(
        grpc.status.RESOURCE_EXHAUSTED,
      );
    } finally {
      client.close();
    }
  });

  it("refuses what is not a unary gRPC call, each with its status", async () => {
    expect((await raw({ ":method": "GET" })).headers[":status"]).toBe(405);
    expect((await raw({ "content-type": "text/plain" }, frame(new Uint8Array()))).headers[":status"]).toBe(415);
    const unknown = await raw({ ":path": "/x.Y/Z" }, frame(new Uint8Array()));
    expect(unknown.headers).toMatchObject({ ":status": 200, "grpc-status": "12" });
    const compressed = await raw({ "grpc-encoding": "gzip" }, frame(new Uint8Array([1, 2]), 1));
    expect(compressed.headers).toMatchObject({ "grpc-status": "12", "grpc-accept-encoding": "identity" });
    expect((await raw({}, Buffer.from([0, 0, 0, 0, 9, 1]))).headers["grpc-status"]).toBe("13"); // truncated
    expect((await raw({}, Buffer.concat([frame(new Uint8Array()), frame(new Uint8Array())]))).headers).toMatchObject({
      "grpc-status": "13",
      "grpc-message": "more than one request message on a unary call",
    });
    expect((await raw({})).headers["grpc-status"]).toBe("13"); // no message
    expect((await raw({}, frame(new Uint8Array([0xff, 0xff, 0xff])))).headers["grpc-status"]).toBe("13"); // not protobuf
    expect((await raw({ "grpc-timeout": "bogus" }, frame(new Uint8Array([10, 1, 0x61])))).trailers["grpc-status"]).toBe(
      "0",
    );
  });

  it("survives a client that resets its stream while the call is being decided, and keeps serving", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const body = frame(new Uint8Array([10, 4, ...Buffer.from("slow")]));
    const req = session.request({ ":method": "POST", ":path": PATH, "content-type": "application/grpc" });
    req.on("error", () => {});
    req.end(body);
    await new Promise((r) => setTimeout(r, 50));
    req.close(http2.constants.NGHTTP2_CANCEL);
    await new Promise((r) => setTimeout(r, 250)); // the handler finishes after the reset
    session.destroy();
    const client = rlsClient(`127.0.0.1:${port}`);
    expect((await client.call(rlsRequest("ok", [["k", "v"]]))).statuses[0]?.limitRemaining).toBe(2);
    client.close();
  });

  it("serves mTLS with the listener's certificates and refuses a client without one", async () => {
    const pki = makeTestPki();
    const tlsServer = new UnaryGrpcServer([method], {
      maxMessageBytes: 4096,
      tls: {
        cert: readFileSync(pki.serverCertFile, "utf8"),
        key: readFileSync(pki.serverKeyFile, "utf8"),
        clientCa: readFileSync(pki.caFile, "utf8"),
      },
    });
    const tlsPort = await tlsServer.listen("127.0.0.1", 0);
    const call = (credentials: grpc.ChannelCredentials) =>
      new Promise<Buffer>((resolve, reject) => {
        const client = new grpc.Client(`127.0.0.1:${tlsPort}`, credentials);
        client.makeUnaryRequest(
          PATH,
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([10, 2, 0x61, 0x62]),
          { deadline: Date.now() + 3000 },
          (err, res) => {
            client.close();
            err ? reject(err) : resolve(res as Buffer);
          },
        );
      });
    try {
      const ca = readFileSync(pki.caFile);
      const ok = await call(
        grpc.credentials.createSsl(ca, readFileSync(pki.clientKeyFile), readFileSync(pki.clientCertFile)),
      );
      expect(ok.length).toBeGreaterThan(0);
      await expect(call(grpc.credentials.createSsl(ca))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      await tlsServer.close(200);
    }
  });

  it("reads grpc-timeout units and percent-encodes grpc-message", () => {
    expect([parseGrpcTimeout("20m"), parseGrpcTimeout("1S"), parseGrpcTimeout("2H"), parseGrpcTimeout("500u")]).toEqual(
      [20, 1000, 7_200_000, 0.5],
    );
    expect([parseGrpcTimeout(undefined), parseGrpcTimeout("20"), parseGrpcTimeout("123456789m")]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(encodeGrpcMessage("plain text: ok")).toBe("plain text: ok");
    expect(encodeGrpcMessage("50% é\n")).toBe("50%25 %C3%A9%0A");
    expect(GrpcStatus.unimplemented).toBe(grpc.status.UNIMPLEMENTED);
  });
});
