// The Node proxy-wasm host's own specification: the Envoy behaviours it reproduces beyond what the
// two-host conformance suite can observe (load-time refusals, restricted phases, traps and the
// failure policy, header-status conversion, workers, CAS and queue quirks, naming, memory growth).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/lib/tools.ts";
import {
  ConfigRejected,
  decodePairs,
  encodePairs,
  MetricStore,
  ModuleRejected,
  type Pair,
  proxyWasmHost,
  Status,
} from "../host/index.ts";
import { SharedData, SharedQueues } from "../host/shared-data.ts";
import { compileFixture } from "./compile-fixture.ts";
import { sampleUpstreamReply, startConformanceHost } from "./conformance-host.ts";
import { CONFORMANCE_PLUGIN } from "./conformance-target.ts";

const conformanceWasm = join(repoRoot, "build/filters/conformance.wasm");
const app = (req: Parameters<typeof sampleUpstreamReply>[1]) => sampleUpstreamReply("app", req);
const header = (headers: Pair[], name: string) => headers.find(([k]) => k === name)?.[1];
const conformance = () =>
  proxyWasmHost(conformanceWasm).withPlugin("conformance").withConfig(CONFORMANCE_PLUGIN.pluginConfig).withWorkers(1);

describe("loading: refuses what Envoy refuses", () => {
  it("rejects an import Envoy does not provide", async () => {
    const start = async () => proxyWasmHost(await compileFixture("unknown-import")).start();
    await expect(start()).rejects.toThrow(ModuleRejected);
    await expect(start()).rejects.toThrow(/missing import env\.proxy_not_in_envoy/);
  });

  it("rejects a callback with the wrong wasm type", async () => {
    const bytes = await compileFixture("wrong-callback");
    expect(() => proxyWasmHost(bytes).start()).toThrow(/bad function signature for proxy_on_done: \(i32\) -> \(\)/);
  });

  it("rejects a module without the ABI 0.2.1 marker export", async () => {
    const bytes = await compileFixture("no-marker");
    expect(() => proxyWasmHost(bytes).start()).toThrow(/missing or unknown Proxy-Wasm ABI version/);
  });

  it("rejects the configuration when on_configure returns false (in the canary, before any worker)", () => {
    const host = () => conformance().withConfig("reject=yes").start();
    expect(host).toThrow(ConfigRejected);
    expect(host).toThrow(/Failed to configure base Wasm plugin/);
  });
});

describe("restricted phases", () => {
  it("allows logging but traps other host calls during _initialize, failing the VM start", async () => {
    const bytes = await compileFixture("init-hostcall");
    const builder = proxyWasmHost(bytes).withPlugin("init");
    expect(() => builder.start()).toThrow(/restricted_callback: proxy_set_tick_period_milliseconds/);
  });

  it("traps a host call made from inside malloc; the stream then fails closed with 503", async () => {
    const host = proxyWasmHost(await compileFixture("malloc-hostcall"))
      .withPlugin("malloc")
      .start();
    const res = host.exchange({ path: "/x" }, app);
    expect(res.status).toBe(503);
    expect(res.localReply?.details).toBe("wasm_fail_stream");
    expect(host.workers[0]?.failed).toMatch(/restricted_callback: proxy_get_current_time_nanoseconds/);
  });
});

describe("stream semantics", () => {
  it("turns StopIteration from on_request_headers into StopAllIterationAndWatermark unless allowed", () => {
    const headers: Pair[] = [
      [":path", "/"],
      ["x-conf-op", "stop"],
    ];
    expect(conformance().start().stream().requestHeaders(headers, true)).toBe(4);
    expect(conformance().withAllowOnHeadersStopIteration().start().stream().requestHeaders(headers, true)).toBe(1);
  });

  it("after a trap answers 503 wasm_fail_stream (FAIL_CLOSED) or skips the filter (FAIL_OPEN)", () => {
    const closed = conformance().start();
    expect(closed.exchange({ path: "/", headers: [["x-conf-op", "trap"]] }, app).status).toBe(503);
    const next = closed.exchange({ path: "/" }, app);
    expect([next.status, next.localReply?.details]).toEqual([503, "wasm_fail_stream"]);
    expect(closed.logs.some((l) => l.level === 5 && /proxy_on_request_headers failed/.test(l.message))).toBe(true);

    const open = conformance().withFailurePolicy("FAIL_OPEN").start();
    open.exchange({ path: "/", headers: [["x-conf-op", "trap"]] }, app);
    const passed = open.exchange({ path: "/" }, app);
    expect(passed.status).toBe(200);
    expect(header(passed.headers, "x-upstream")).toBe("app");
    expect(header(passed.headers, "x-conf-eos")).toBeUndefined();
  });

  it("can use the spec's teardown order (done → log → delete) instead of Envoy's", () => {
    const host = conformance().withSpecTeardownOrder().start();
    host.exchange({ path: "/", headers: [["x-conf-tag", "spec-order"]] }, app);
    const order = host.logs.filter((l) => l.message.includes("spec-order") && / on_/.test(l.message));
    expect(order.map((l) => /on_\w+/.exec(l.message)?.[0])).toEqual(["on_done", "on_log", "on_delete"]);
  });

  it("reports a failed http_call with 0 headers and get_status BrokenConnection/reset", () => {
    const host = conformance()
      .withCluster(CONFORMANCE_PLUGIN.calloutCluster)
      .withHttpCallResponder(() => ({ failure: "reset" }))
      .start();
    const res = host.exchange({ path: "/", headers: [["x-conf-op", "callout"]] }, app);
    expect(header(res.headers, "x-conf-callout-failed")).toBe("11:reset");
    expect(res.status).toBe(200);
  });

  it("re-creates memory views when the guest grows its memory (a 3 MiB body)", () => {
    const host = conformance().start();
    const pagesBefore = host.workers[0]?.memoryPages() ?? 0;
    const body = "x".repeat(3 * 1024 * 1024);
    const res = host.exchange({ method: "POST", path: "/b", headers: [["x-conf-op", "body"]], body }, app);
    expect(header(res.headers, "x-conf-request-body-length")).toBe(String(body.length));
    expect(host.workers[0]?.memoryPages()).toBeGreaterThan(pagesBefore);
  });
});

describe("workers, shared state and time", () => {
  it("runs start/configure in the canary and in every worker, each with its own globals", () => {
    const host = conformance().withWorkers(3).start();
    const starts = host.logs.filter((l) => l.message.startsWith("conformance vm_start")).map((l) => l.vm);
    expect(starts).toEqual(["canary", "worker_0", "worker_1", "worker_2"]);
  });

  it("deletes a root at shutdown, or only after proxy_done when on_done returned false", () => {
    const rootLogs = (host: ReturnType<typeof startConformanceHost>) =>
      host.logs.filter((l) => l.message.startsWith("conformance root")).map((l) => l.message);
    const prompt = conformance().start();
    prompt.shutdown();
    expect(rootLogs(prompt)).toEqual(["conformance root on_done delay=false", "conformance root on_delete"]);

    const delayed = conformance().withConfig("tick_ms=100;delay_done").start();
    delayed.shutdown();
    expect(rootLogs(delayed)).toEqual(["conformance root on_done delay=true"]);
    delayed.advance(100);
    expect(rootLogs(delayed)).toEqual([
      "conformance root on_done delay=true",
      "conformance root done() Ok",
      "conformance root on_delete",
    ]);
    expect(delayed.workers[0]?.rootDeleted).toBe(true);
  });

  it("shares data across workers and fires ticks per worker from the manual clock", () => {
    const host = startConformanceHost();
    const hits = [0, 1, 0, 1].map((worker) => host.exchange({ path: "/", worker }, app));
    expect(hits.map((h) => header(h.headers, "x-conf-shared-hits"))).toEqual(["1", "2", "3", "4"]);
    const before = host.prometheusStats().get("conformance_ticks") ?? 0;
    host.advance(250);
    expect((host.prometheusStats().get("conformance_ticks") ?? 0) - before).toBe(2 * 2);
  });

  it("numbers CAS from one global counter starting at 1; a missing key ignores the cas", () => {
    const data = new SharedData();
    const bytes = Buffer.from("v");
    expect(data.set("vm", "a", bytes, 0)).toBe(Status.Ok);
    expect(data.get("vm", "a")?.cas).toBe(1);
    expect(data.set("other-vm", "b", bytes, 12345)).toBe(Status.Ok);
    expect(data.get("other-vm", "b")?.cas).toBe(2);
    expect(data.set("vm", "a", bytes, 7)).toBe(Status.CasMismatch);
    expect(data.set("vm", "a", bytes, 1)).toBe(Status.Ok);
    expect(data.get("vm", "a")?.cas).toBe(3);
    expect(data.get("vm", "missing")).toBeUndefined();
  });

  it("re-binds a shared queue to its last registrant and keeps queued items", () => {
    const queues = new SharedQueues();
    const notified: string[] = [];
    const owner = (name: string) => ({ notifyQueueReady: () => void notified.push(name) });
    const id = queues.register("vm", "q", owner("first"), 1);
    queues.enqueue(id, Buffer.from("1"));
    expect(queues.register("vm", "q", owner("second"), 1)).toBe(id);
    queues.enqueue(id, Buffer.from("2"));
    expect(notified).toEqual(["first", "second"]);
    expect(queues.size(id)).toBe(2);
    expect(queues.resolve("vm", "unknown")).toBeUndefined();
    expect(queues.dequeue(999)).toBe(Status.NotFound);
  });
});

describe("metrics, i64 parameters and call recording", () => {
  it("lists custom metrics like Envoy: /stats with wasmcustom., Prometheus without any prefix", () => {
    const host = startConformanceHost();
    host.exchange({ path: "/" }, app);
    expect(host.stats().get("wasmcustom.conformance.requests")).toBe(1);
    expect(host.prometheusStats().get("conformance_requests")).toBe(1);
    expect(MetricStore.prometheusName("9lives.count")).toBeUndefined();
    expect(MetricStore.prometheusName("a-b.c")).toBe("a_b_c");
  });

  it("receives i64 metric arguments as BigInt (gauge -1 brings inflight back to 0)", () => {
    const host = conformance().withCallRecording().start();
    host.exchange({ path: "/" }, app);
    const increments = host.recorder.calls?.filter((c) => c.name === "proxy_increment_metric") ?? [];
    expect(increments.map((c) => typeof c.args[1])).toContain("bigint");
    expect(increments.map((c) => c.args[1])).toContain(-1n);
    expect(host.prometheusStats().get("conformance_inflight")).toBe(0);
    expect(host.recorder.total).toBeGreaterThan(20);
  });
});

describe("pairs format", () => {
  it("encodes the reference example byte for byte", () => {
    const bytes = encodePairs([
      ["a", "1"],
      ["b", "22"],
    ]);
    expect(Buffer.from(bytes).toString("hex")).toBe("0200000001000000010000000100000002000000610031006200323200");
    expect(decodePairs(bytes)).toEqual([
      ["a", "1"],
      ["b", "22"],
    ]);
  });

  it("rejects what Envoy's parser rejects: over 1024 pairs, a missing NUL, trailing bytes", () => {
    const many = encodePairs(Array.from({ length: 1025 }, (_, i): Pair => [`k${i}`, "v"]));
    expect(decodePairs(many)).toBeNull();
    const ok = encodePairs([["k", "v"]]);
    const noNul = Uint8Array.from(ok);
    noNul[noNul.length - 1] = 0x41;
    expect(decodePairs(noNul)).toBeNull();
    expect(decodePairs(Uint8Array.from([...ok, 0]))).toBeNull();
    expect(decodePairs(new Uint8Array(0))).toEqual([]);
  });
});
