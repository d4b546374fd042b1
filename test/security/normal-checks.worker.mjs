// Normal checks at a steady rate from a thread of their own, so that what the exhaustion suites
// measure is the server's answer time and not the test process's event loop, busy driving a burst.
// workerData: { port, everyMs, deadlineMs, lateMs, and either request (an encoded CheckRequest, sent
// over gRPC) or http: { path, localAddress } (a GET on a new connection from that address) }.
// It posts "ready" once its client is made and it starts sending (loading a gRPC client into a
// thread takes seconds on a loaded machine); post "stop" to end, and it answers with
// { sent, counts, maxMs, late }.
import { request as httpRequest } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";

const { port, request, http, everyMs, deadlineMs, lateMs } = workerData;
const stats = { sent: 0, counts: {}, maxMs: 0, late: 0 };
const pending = new Set();

/** allow: CheckResponse.status (field 1) present with code 0, i.e. bytes 0a 00; a deny carries
 *  PERMISSION_DENIED; MW_OVERLOADED in the body names the refusal. */
function classify(response) {
  if (response[0] === 0x0a && response[1] === 0x00) return "allow";
  return response.includes("MW_OVERLOADED") ? "overloaded" : "deny";
}

function grpcSender() {
  const bytes = Buffer.from(request);
  const Client = grpc.makeGenericClientConstructor(
    {
      check: {
        path: "/envoy.service.auth.v3.Authorization/Check",
        requestStream: false,
        responseStream: false,
        requestSerialize: (b) => b,
        requestDeserialize: (b) => b,
        responseSerialize: (b) => b,
        responseDeserialize: (b) => b,
      },
    },
    "Authorization",
  );
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.use_local_subchannel_pool": 1,
  });
  return {
    send: (done) =>
      client.check(bytes, { deadline: Date.now() + deadlineMs }, (err, response) =>
        done(err ? (err.code === grpc.status.DEADLINE_EXCEEDED ? "deadline" : "error") : classify(response)),
      ),
    close: () => client.close(),
  };
}

function httpSender() {
  return {
    send: (done) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          path: http.path,
          localAddress: http.localAddress,
          agent: false,
          timeout: deadlineMs,
        },
        (res) => {
          res.resume();
          const reason = res.headers["x-meshward-reason"];
          res.on("end", () =>
            done(res.statusCode === 200 ? "allow" : reason === "MW_OVERLOADED" ? "overloaded" : "deny"),
          );
        },
      );
      req.on("timeout", () => req.destroy(new Error("deadline")));
      req.on("error", (err) => done(err.message === "deadline" ? "deadline" : "error"));
      req.end();
    },
    close: () => {},
  };
}

const sender = http ? httpSender() : grpcSender();
parentPort.postMessage("ready");

const timer = setInterval(() => {
  stats.sent++;
  const started = performance.now();
  const call = new Promise((resolve) =>
    sender.send((result) => {
      const ms = performance.now() - started;
      stats.counts[result] = (stats.counts[result] ?? 0) + 1;
      stats.maxMs = Math.max(stats.maxMs, ms);
      if (ms > (lateMs ?? deadlineMs)) stats.late++;
      resolve();
    }),
  );
  pending.add(call);
  call.then(() => pending.delete(call));
}, everyMs);

parentPort.on("message", async (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  await Promise.all(pending);
  sender.close();
  parentPort.postMessage(stats);
});
