// The Node proxy-wasm host: one plugin loaded like Envoy loads it (validated against Envoy's import
// and callback signatures, a throw-away canary VM, then one VM per emulated worker), sharing shared
// data, queues and metrics through one HostServices. `exchange()` runs a whole HTTP request through
// a worker like Envoy's connection manager + router, with a scripted upstream.
// Build one with `proxyWasmHost(path)` (builder.ts).
import { randomUUID } from "node:crypto";
import { checkModuleImports } from "../../scripts/lib/envoy-abi.ts";
import type { ManualClock } from "./clock.ts";
import type { MetricStore } from "./metrics.ts";
import type { Pair } from "./pairs.ts";
import type { SharedData, SharedQueues } from "./shared-data.ts";
import { HttpStream } from "./stream.ts";
import type { HostCallRecorder, HostServices, LogRecord, PluginSpec } from "./types.ts";
import { type LocalReply, WasmVm } from "./vm.ts";

/** Envoy would refuse this module (missing/mistyped import, no ABI marker, bad callback type). */
export class ModuleRejected extends Error {
  constructor(readonly problems: string[]) {
    super(`Envoy would refuse this module:\n  ${problems.join("\n  ")}`);
  }
}

/** on_vm_start/on_configure returned false (or trapped) in the canary: Envoy refuses the config. */
export class ConfigRejected extends Error {}

export interface ExchangeRequest {
  method?: string;
  path: string;
  authority?: string;
  headers?: Pair[];
  body?: string | Uint8Array;
  /** Pin the request to one worker; default round-robin. */
  worker?: number;
}

export interface UpstreamRequest {
  headers: Pair[];
  body: Uint8Array;
}

export interface UpstreamResponse {
  status: number;
  headers?: Pair[];
  body?: string | Uint8Array;
}

export interface ExchangeResult {
  status: number;
  /** Final response headers as the client would see them (without :status). */
  headers: Pair[];
  body: Uint8Array;
  /** What the upstream received, when the request got that far. */
  upstream: UpstreamRequest | undefined;
  localReply: LocalReply | undefined;
  /** The filter reset the stream (close_stream): the client sees no response. */
  reset: boolean;
  stream: HttpStream;
}

export class ProxyWasmHost {
  private nextWorker = 0;

  constructor(
    readonly spec: PluginSpec,
    readonly workers: WasmVm[],
    readonly services: HostServices,
    private readonly taskQueue: (() => void)[],
  ) {}

  static start(
    bytes: Uint8Array,
    spec: PluginSpec,
    services: Omit<HostServices, "post">,
    workers: number,
  ): ProxyWasmHost {
    const problems = checkModuleImports(bytes);
    if (problems.length > 0) throw new ModuleRejected(problems);
    const module = new WebAssembly.Module(bytes);
    const taskQueue: (() => void)[] = [];
    const full: HostServices = { ...services, post: (task) => taskQueue.push(task) };
    const canary = new WasmVm("canary", module, spec, full);
    if (!canary.start())
      throw new ConfigRejected(
        `Failed to configure base Wasm plugin ${spec.name}: ${canary.failed ?? "returned false"}`,
      );
    const vms: WasmVm[] = [];
    for (let i = 0; i < workers; i++) {
      const vm = new WasmVm(`worker_${i}`, module, spec, full);
      if (!vm.start())
        throw new ConfigRejected(`Failed to configure thread-local Wasm plugin ${spec.name} on worker ${i}`);
      vms.push(vm);
    }
    const host = new ProxyWasmHost(spec, vms, full, taskQueue);
    host.drain();
    return host;
  }

  get clock(): ManualClock {
    return this.services.clock;
  }
  get sharedData(): SharedData {
    return this.services.sharedData;
  }
  get queues(): SharedQueues {
    return this.services.queues;
  }
  get metrics(): MetricStore {
    return this.services.metrics;
  }
  get logs(): LogRecord[] {
    return this.services.logs;
  }
  get recorder(): HostCallRecorder {
    return this.services.recorder;
  }

  /** Custom counters and gauges as Envoy's admin /stats lists them (`wasmcustom.<name>`). */
  stats(): Map<string, number> {
    return this.services.metrics.flat();
  }

  /** Custom counters and gauges by their /stats/prometheus name (no prefix, sanitised). */
  prometheusStats(): Map<string, number> {
    return this.services.metrics.prometheus();
  }

  /** Runs posted work (queue notifications, http_call replies) until none is left. */
  drain(): void {
    for (let guard = 0; this.taskQueue.length > 0; guard++) {
      if (guard > 100_000) throw new Error("host: posted work keeps re-posting itself");
      (this.taskQueue.shift() as () => void)();
    }
  }

  /** Moves the clock and fires due ticks on every worker. */
  advance(ms: number): void {
    this.clock.advanceMs(ms);
    for (const vm of this.workers) vm.fireTicks();
    this.drain();
  }

  /** Stops the plugin on every worker: proxy_on_done(root), then proxy_on_delete(root) at once or,
   *  when on_done returned false, after the guest calls proxy_done. */
  shutdown(): void {
    for (const vm of this.workers) vm.shutdown();
    this.drain();
  }

  private pickWorker(index?: number): WasmVm {
    const vm = this.workers[index ?? this.nextWorker++ % this.workers.length];
    if (!vm) throw new Error(`host: no worker ${index}`);
    return vm;
  }

  /** A bare stream on a worker, for tests that drive callbacks one by one. */
  stream(worker?: number): HttpStream {
    const vm = this.pickWorker(worker);
    return new HttpStream(vm, {
      sourceAddress: "127.0.0.1",
      sourcePort: 40000 + (vm.streams.size % 20000),
      destinationAddress: "127.0.0.1",
      destinationPort: 10000,
      protocol: "HTTP/1.1",
      startNs: this.clock.nowNanos(),
    });
  }

  /** One request/response through the filter, like Envoy's HCM + router with `upstream` behind. */
  exchange(request: ExchangeRequest, upstream: (req: UpstreamRequest) => UpstreamResponse): ExchangeResult {
    const stream = this.stream(request.worker);
    const s = stream.state;
    const body = typeof request.body === "string" ? Buffer.from(request.body) : (request.body ?? new Uint8Array(0));
    const headers: Pair[] = [
      [":authority", request.authority ?? "localhost"],
      [":path", request.path],
      [":method", request.method ?? "GET"],
      [":scheme", "http"],
      ...(request.headers ?? []).map(([k, v]): Pair => [k.toLowerCase(), v]),
      ["x-forwarded-proto", "http"],
      ["x-request-id", randomUUID()],
    ];
    if (body.length > 0) headers.push(["content-length", String(body.length)]);
    const finish = (status: number, responseHeaders: Pair[], responseBody: Uint8Array, up?: UpstreamRequest) =>
      this.respond(stream, status, responseHeaders, responseBody, up);

    let action = stream.requestHeaders(headers, body.length === 0);
    this.drain();
    if (s.closed) return this.resetResult(stream);
    if (s.localReply) return this.localResponse(stream);
    if (action !== 0 && !s.continued.request)
      throw new Error(`host: request stays paused after on_request_headers (action ${action})`);
    if (body.length > 0) {
      action = stream.requestBody(body, true);
      this.drain();
      if (s.closed) return this.resetResult(stream);
      if (s.localReply) return this.localResponse(stream);
      if (action !== 0 && !s.continued.request)
        throw new Error(`host: request stays paused after on_request_body (action ${action})`);
    }
    const forwarded: UpstreamRequest = {
      headers: s.requestSnapshot.map(([k, v]): Pair => [k, v]),
      body: stream.forwardedRequestBody(body),
    };
    const reply = upstream(forwarded);
    const replyBody = typeof reply.body === "string" ? Buffer.from(reply.body) : (reply.body ?? new Uint8Array(0));
    return finish(
      reply.status,
      [...(reply.headers ?? []), ["content-length", String(replyBody.length)]],
      replyBody,
      forwarded,
    );
  }

  private localResponse(stream: HttpStream): ExchangeResult {
    const reply = stream.state.localReply as LocalReply;
    const headers: Pair[] = [...reply.headers];
    if (reply.body.length > 0) headers.unshift(["content-type", "text/plain"]);
    headers.unshift(["content-length", String(reply.body.length)]);
    return this.respond(stream, reply.status, headers, reply.body, undefined);
  }

  private respond(
    stream: HttpStream,
    status: number,
    headers: Pair[],
    body: Uint8Array,
    up: UpstreamRequest | undefined,
  ): ExchangeResult {
    const s = stream.state;
    const responseHeaders: Pair[] = [
      [":status", String(status)],
      ...headers.map(([k, v]): Pair => [k.toLowerCase(), v]),
    ];
    const action = stream.responseHeaders(responseHeaders, body.length === 0);
    this.drain();
    let sentBody = body;
    if (body.length > 0 && !s.closed) {
      stream.responseBody(body, true);
      this.drain();
      sentBody = stream.forwardedResponseBody(body);
    }
    if (action !== 0 && !s.continued.response && !s.closed)
      throw new Error(`host: response stays paused (action ${action})`);
    const result: ExchangeResult = {
      status: Number(s.responseSnapshot.find(([k]) => k === ":status")?.[1] ?? status),
      headers: s.responseSnapshot.filter(([k]) => !k.startsWith(":")),
      body: sentBody,
      upstream: up,
      localReply: s.localReply,
      reset: s.closed,
      stream,
    };
    stream.complete();
    this.drain();
    return result;
  }

  private resetResult(stream: HttpStream): ExchangeResult {
    stream.complete();
    this.drain();
    return {
      status: 0,
      headers: [],
      body: new Uint8Array(0),
      upstream: undefined,
      localReply: undefined,
      reset: true,
      stream,
    };
  }
}
