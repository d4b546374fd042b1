// Normal checks at a steady rate from a thread of their own, so that what the exhaustion suite
// measures is the server's answer time and not the test process's event loop, busy driving a burst.
// workerData: { port, request (an encoded CheckRequest), everyMs, deadlineMs, lateMs }. Post "stop" to end;
// the worker answers with { sent, counts, maxMs, late }.
import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";

const { port, request, everyMs, deadlineMs, lateMs } = workerData;
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
const stats = { sent: 0, counts: {}, maxMs: 0, late: 0 };
const pending = new Set();

/** allow: CheckResponse.status (field 1) present with code 0, i.e. bytes 0a 00; a deny carries
 *  PERMISSION_DENIED; MW_OVERLOADED in the body names the refusal. */
function classify(response) {
  if (response[0] === 0x0a && response[1] === 0x00) return "allow";
  return response.includes("MW_OVERLOADED") ? "overloaded" : "deny";
}

const timer = setInterval(() => {
  stats.sent++;
  const started = performance.now();
  const call = new Promise((resolve) =>
    client.check(bytes, { deadline: Date.now() + deadlineMs }, (err, response) => {
      const ms = performance.now() - started;
      const result = err ? (err.code === grpc.status.DEADLINE_EXCEEDED ? "deadline" : "error") : classify(response);
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
  client.close();
  parentPort.postMessage(stats);
});
