// Builder for the Node proxy-wasm host, so filter tests read as specifications:
//   const host = proxyWasmHost("build/filters/conformance.wasm")
//     .withConfig("tick_ms=100").withWorkers(2).withCluster("auth")
//     .withProperty(["xds", "node", "id"], "sidecar~1").start();
import { readFileSync } from "node:fs";
import { ManualClock } from "./clock.ts";
import { MetricStore } from "./metrics.ts";
import type { Pair } from "./pairs.ts";
import { ProxyWasmHost } from "./plugin-host.ts";
import { type PropertyValue, propertyKey, toPropertyValue } from "./properties.ts";
import { SharedData, SharedQueues, type Status } from "./shared-data.ts";
import {
  type CalloutReply,
  type CalloutRequest,
  type FailurePolicy,
  HostCallRecorder,
  type LogRecord,
  type PluginSpec,
  type VmObserver,
} from "./types.ts";

const bytesOf = (value: string | Uint8Array): Uint8Array => (typeof value === "string" ? Buffer.from(value) : value);

export class HostBuilder {
  private readonly spec: PluginSpec;
  private workers = 1;
  private clock = new ManualClock();
  private keepCalls = false;
  private responder: (request: CalloutRequest) => CalloutReply = (r) => ({
    headers: [
      [":status", "503"],
      ["x-meshward-host", `no responder for cluster ${r.cluster}`],
    ],
  });
  private sharedData = new SharedData();
  private queues = new SharedQueues();
  private metrics = new MetricStore();
  private logs: LogRecord[] = [];
  private observer: VmObserver | undefined;

  constructor(private readonly bytes: Uint8Array) {
    this.spec = {
      name: "plugin",
      rootId: "",
      vmId: "",
      pluginConfig: new Uint8Array(0),
      vmConfig: new Uint8Array(0),
      properties: new Map(),
      clusters: new Set(),
      logLevel: 2,
      allowOnHeadersStopIteration: false,
      failurePolicy: "FAIL_CLOSED",
      foreignFunctions: new Map(),
      teardownOrder: "envoy",
    };
  }

  /** PluginConfig.name / root_id / vm_config.vm_id (shared data and queues are scoped by vm_id). */
  withPlugin(name: string, rootId = name, vmId = name): this {
    Object.assign(this.spec, { name, rootId, vmId });
    return this;
  }
  /** PLUGIN_CONFIGURATION bytes, delivered to on_configure. */
  withConfig(config: string | Uint8Array): this {
    this.spec.pluginConfig = bytesOf(config);
    return this;
  }
  /** VM_CONFIGURATION bytes, delivered to on_vm_start. */
  withVmConfig(config: string | Uint8Array): this {
    this.spec.vmConfig = bytesOf(config);
    return this;
  }
  withProperty(path: string[], value: string | bigint | boolean | Uint8Array | Pair[] | PropertyValue): this {
    this.spec.properties.set(propertyKey(path), toPropertyValue(value));
    return this;
  }
  /** Number of worker VMs (Envoy --concurrency); each gets its own instance and globals. */
  withWorkers(count: number): this {
    this.workers = count;
    return this;
  }
  withLogLevel(level: number): this {
    this.spec.logLevel = level;
    return this;
  }
  withCluster(...names: string[]): this {
    for (const name of names) this.spec.clusters.add(name);
    return this;
  }
  /** Scripted http_call replies (delivered asynchronously, after the calling callback returns). */
  withHttpCallResponder(responder: (request: CalloutRequest) => CalloutReply): this {
    this.responder = responder;
    return this;
  }
  withForeignFunction(name: string, fn: (args: Uint8Array) => Uint8Array | Status): this {
    this.spec.foreignFunctions.set(name, fn);
    return this;
  }
  withAllowOnHeadersStopIteration(allow = true): this {
    this.spec.allowOnHeadersStopIteration = allow;
    return this;
  }
  withFailurePolicy(policy: FailurePolicy): this {
    this.spec.failurePolicy = policy;
    return this;
  }
  /** Use the ABI spec's teardown order (done → log → delete) instead of Envoy's HTTP order. */
  withSpecTeardownOrder(): this {
    this.spec.teardownOrder = "spec";
    return this;
  }
  withClock(clock: ManualClock): this {
    this.clock = clock;
    return this;
  }
  /** Keep every host call's arguments (counts are always kept). */
  withCallRecording(): this {
    this.keepCalls = true;
    return this;
  }
  /** Accounting hooks: every call into a VM, host call and byte crossing the ABI. */
  withObserver(observer: VmObserver): this {
    this.observer = observer;
    return this;
  }
  /** Share shared data/queues/metrics/logs with another host (e.g. two plugins in one Envoy). */
  withSharedStateOf(other: ProxyWasmHost): this {
    Object.assign(this, {
      sharedData: other.sharedData,
      queues: other.queues,
      metrics: other.metrics,
      logs: other.logs,
      clock: other.clock,
    });
    return this;
  }

  /** Loads, validates and starts the plugin; throws ModuleRejected or ConfigRejected like Envoy. */
  start(): ProxyWasmHost {
    const responder = this.responder;
    return ProxyWasmHost.start(
      this.bytes,
      this.spec,
      {
        clock: this.clock,
        sharedData: this.sharedData,
        queues: this.queues,
        metrics: this.metrics,
        logs: this.logs,
        recorder: new HostCallRecorder(this.keepCalls),
        ...(this.observer ? { observer: this.observer } : {}),
        callout: (request) => responder(request),
      },
      this.workers,
    );
  }
}

/** Starts a builder for a built module (path or bytes). */
export function proxyWasmHost(module: string | Uint8Array): HostBuilder {
  return new HostBuilder(typeof module === "string" ? readFileSync(module) : module);
}
