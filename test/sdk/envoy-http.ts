// A raw HTTP/1.1 client for the Envoy conformance run: node:http keeps repeated request headers as
// separate lines (fetch would join them) and reports a reset stream instead of throwing.
import { request } from "node:http";
import type { ConformanceRequest, ConformanceResponse } from "./conformance-target.ts";

export function sendToEnvoy(port: number, req: ConformanceRequest, timeoutMs = 10_000): Promise<ConformanceResponse> {
  return new Promise((resolve) => {
    const rawHeaders: string[] = ["host", `127.0.0.1:${port}`];
    for (const [k, v] of req.headers ?? []) rawHeaders.push(k, v);
    if (req.body !== undefined) rawHeaders.push("content-length", String(Buffer.byteLength(req.body)));
    const clientRequest = request(
      {
        host: "127.0.0.1",
        port,
        method: req.method ?? "GET",
        path: req.path,
        headers: rawHeaders,
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const headers: [string, string][] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
            headers.push([(res.rawHeaders[i] as string).toLowerCase(), res.rawHeaders[i + 1] as string]);
          resolve({
            answered: true,
            status: res.statusCode ?? 0,
            headers,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
        res.on("error", () => resolve({ answered: false, status: 0, headers: [], body: "" }));
      },
    );
    clientRequest.on("timeout", () => clientRequest.destroy(new Error("timeout")));
    clientRequest.on("error", () => resolve({ answered: false, status: 0, headers: [], body: "" }));
    clientRequest.end(req.body);
  });
}
