// Raw HTTP for the bypass suites, so that nothing between the test and Envoy (or Envoy and the
// upstream) normalises a path on our behalf:
//   - a recording upstream: a TCP server that reads each HTTP/1.1 request head as bytes, records the
//     request target and headers exactly as received, and answers 200 (keep-alive);
//   - an HTTP/1.1 client that writes a request line and headers as given on a fresh socket;
//   - an HTTP/2 client that sends any `:path`.
import { connect as h2connect } from "node:http2";
import { connect, createServer, type Server, type Socket } from "node:net";

export interface Received {
  method: string;
  target: string;
  headers: [string, string][];
}

export interface RecordingUpstream {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

const HEAD_END = Buffer.from("\r\n\r\n");
/** Heads above this are answered 431 and the connection closed (Envoy never sends them). */
const MAX_HEAD = 256 * 1024;

function parseHead(head: string): Received {
  const [line = "", ...rest] = head.split("\r\n");
  const [method = "", target = ""] = line.split(" ");
  const headers = rest
    .filter((l) => l.includes(":"))
    .map((l): [string, string] => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]);
  return { method, target, headers };
}

export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffer = Buffer.alloc(0);
    let skip = 0; // body bytes of the current request still to discard
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buffer.length);
          buffer = buffer.subarray(n);
          skip -= n;
          if (skip > 0) return;
        }
        const end = buffer.indexOf(HEAD_END);
        if (end === -1) {
          if (buffer.length > MAX_HEAD) socket.end("HTTP/1.1 431 Too Large\r\ncontent-length: 0\r\n\r\n");
          return;
        }
        const request = parseHead(buffer.subarray(0, end).toString("latin1"));
        buffer = buffer.subarray(end + HEAD_END.length);
        skip = Number(request.headers.find(([n]) => n === "content-length")?.[1] ?? 0);
        received.push(request);
        const body = JSON.stringify({ target: request.target });
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface RawAnswer {
  /** HTTP status, or 0 when the connection closed without a status line. */
  status: number;
  headers: string;
}

/** Sends `requestHead` (request line + headers, without the final blank line) as bytes on a new
 *  connection and reads the status line and headers of the answer. */
export function rawRequest(port: number, requestHead: string, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = data.toString("latin1");
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: status ? Number(status[1]) : 0, headers: text.split("\r\n\r\n")[0] ?? "" });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on("connect", () => socket.write(Buffer.from(`${requestHead}\r\nconnection: close\r\n\r\n`, "latin1")));
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.includes(HEAD_END)) finish();
    });
    socket.on("error", finish);
    socket.on("close", finish);
  });
}

/** One HTTP/2 request with a `:path` as given (prior knowledge, cleartext). */
export function h2Request(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const session = h2connect(`http://127.0.0.1:${port}`);
    let done = false;
    const finish = (answer: RawAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      session.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ status: 0, headers: "timeout" }), timeoutMs);
    session.on("error", (err) => finish({ status: 0, headers: String(err) }));
    try {
      const stream = session.request({ ":method": "GET", ":path": path, ...headers });
      stream.on("response", (h) => finish({ status: Number(h[":status"]), headers: JSON.stringify(h) }));
      stream.on("error", (err) => finish({ status: 0, headers: String(err) }));
      stream.end();
    } catch (err) {
      finish({ status: 0, headers: `refused by the client: ${(err as Error).message}` });
    }
  });
}
