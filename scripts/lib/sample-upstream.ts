// A small HTTP upstream for tests and the sandbox: answers every request with a JSON body naming
// itself and echoing method, path and the headers it received (so tests can see what Envoy forwarded).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SampleUpstream {
  name: string;
  port: number;
  /** Extra latency per response, adjustable at run time (the sandbox makes endpoints slow). */
  delayMs: number;
  /** When set, answer with this status instead of 200. */
  failWith: number | undefined;
  /** When > 0, at most this many requests are in service (delayMs each) at once; the rest wait
   *  in FIFO order, so latency grows with concurrency like a saturated server. 0 = unlimited. */
  capacity: number;
  requests: number;
  close(): Promise<void>;
}

export async function startSampleUpstream(name: string, port = 0, host = "127.0.0.1"): Promise<SampleUpstream> {
  const state: SampleUpstream = {
    name,
    port: 0,
    delayMs: 0,
    failWith: undefined,
    capacity: 0,
    requests: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  let inService = 0;
  const waiting: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    state.requests++;
    const reply = () => {
      const status = state.failWith ?? 200;
      const body = JSON.stringify({ upstream: name, method: req.method, path: req.url, headers: req.headers });
      res.writeHead(status, { "content-type": "application/json", "x-upstream": name });
      res.end(body);
    };
    const serve = () => {
      inService++;
      const done = () => {
        reply();
        inService--;
        waiting.shift()?.();
      };
      if (state.delayMs > 0) setTimeout(done, state.delayMs);
      else done();
    };
    if (state.capacity > 0 && inService >= state.capacity) waiting.push(serve);
    else serve();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;
  return state;
}
