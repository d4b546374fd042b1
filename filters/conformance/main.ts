// Test-only filter that exercises every SDK call so the same assertions can run in the Node host
// (test/host/) and in real Envoy (test/sdk/conformance.*.test.ts). A request picks what to do with
// `x-conf-op`; results travel back as `x-conf-*` response headers, a local reply, metrics and log
// lines. Not for production: it echoes request data into responses.
import {
  BufferType,
  DataStatus,
  HeaderPairs,
  HeadersStatus,
  HttpContext,
  LogLevel,
  MapType,
  Metric,
  MetricType,
  NO_GRPC_STATUS,
  PAIRS_MAX_COUNT,
  PropertyPath,
  RootContext,
  StreamType,
  Utf8,
  addHeaderString,
  appendBuffer,
  hasHeader,
  prependBuffer,
  setEffectiveContext,
  bufferLength,
  callForeignFunction,
  casUpdate,
  casUpdateInPlace,
  clearRouteCache,
  closeStream,
  continueRequest,
  currentTimeNanos,
  dequeueSharedQueue,
  done,
  enqueueSharedQueue,
  getBuffer,
  getBufferString,
  getHeaderPairs,
  getHeaderString,
  getHeaderStringReusing,
  getPropertyBool,
  getPropertyInt64,
  getPropertyNanos,
  getPropertyPairs,
  getPropertyString,
  getPropertyStringReusing,
  getSharedData,
  headerEquals,
  headerMapByteSize,
  hostLogLevel,
  httpCallResponseBody,
  httpCallResponseHeaders,
  lastCalloutStatus,
  lastCalloutStatusMessage,
  lastStatus,
  log,
  logEnabled,
  logInfo,
  logWarn,
  registerSharedQueue,
  removeHeaderString,
  replaceBuffer,
  replaceHeaderString,
  resolveSharedQueue,
  sendLocalResponse,
  setHeaderPairs,
  setPropertyString,
  setRootContextFactory,
  setSharedData,
  setTickPeriod,
  sharedCounterAdd,
  SharedUpdate,
  SharedUpdateInPlace,
  statusName,
} from "../sdk";

export * from "../sdk/exports";

const QUEUE_NAME = "conformance";
const IN = new Utf8("x-conf-in");
const HELLO = new Utf8("hello");
const PLUGIN_NAME = new PropertyPath(["plugin_name"]);
const PLUGIN_ROOT_ID = new PropertyPath(["plugin_root_id"]);
const PLUGIN_VM_ID = new PropertyPath(["plugin_vm_id"]);
const REQUEST_PATH = new PropertyPath(["request", "path"]);
const REQUEST_METHOD = new PropertyPath(["request", "method"]);
const REQUEST_TIME = new PropertyPath(["request", "time"]);
const REQUEST_HEADERS = new PropertyPath(["request", "headers"]);
const REQUEST_HEADER_IN = new PropertyPath(["request", "headers", "x-conf-in"]);
const SOURCE_PORT = new PropertyPath(["source", "port"]);
const MTLS = new PropertyPath(["connection", "mtls"]);
const MARK = new PropertyPath(["conformance_mark"]);
const MISSING = new PropertyPath(["no_such_attribute"]);

/** Appends "!" to a text value (or starts it at "v"): exercises casUpdate with a stateful update. */
class AppendBang extends SharedUpdate {
  apply(current: ArrayBuffer | null): ArrayBuffer | null {
    const text = current === null ? "v" : String.UTF8.decode(current) + "!";
    return String.UTF8.encode(text);
  }
}

/** The same as AppendBang, on the host's block in place ("v" for a missing key). */
class AppendBangInPlace extends SharedUpdateInPlace {
  apply(found: bool, current: usize, size: usize, out: usize, capacity: usize): i32 {
    if (!found) {
      store<u8>(out, 0x76); // 'v'
      return 1;
    }
    if (size + 1 > capacity) return -1;
    memory.copy(out, current, size);
    store<u8>(out + size, 0x21); // '!'
    return <i32>size + 1;
  }
}

/** Strings the reusing getters are given as the value they may hand back. */
const KNOWN_IN = "hello";
const OTHER_IN = "hellO";
const KNOWN_METHOD = "GET";

/** True when `value` is the very string `known` (not merely equal text). */
function isSameString(value: string | null, known: string): bool {
  return value !== null && changetype<usize>(value) == changetype<usize>(known);
}

function bool01(value: bool): string {
  return value ? "true" : "false";
}

class ConformanceRoot extends RootContext {
  config: string = "";
  vmConfig: string = "";
  queueId: u32 = 0;
  doneRequested: bool = false;
  requests: Metric = Metric.none(MetricType.Counter);
  inflight: Metric = Metric.none(MetricType.Gauge);
  bodyBytes: Metric = Metric.none(MetricType.Histogram);
  ticks: Metric = Metric.none(MetricType.Counter);
  queueItems: Metric = Metric.none(MetricType.Counter);
  rootCallouts: Metric = Metric.none(MetricType.Counter);

  onVmStart(vmConfiguration: ArrayBuffer): bool {
    this.vmConfig = String.UTF8.decode(vmConfiguration);
    logInfo("conformance vm_start vm_config=" + this.vmConfig);
    return true;
  }

  onConfigure(pluginConfiguration: ArrayBuffer): bool {
    this.config = String.UTF8.decode(pluginConfiguration);
    if (this.config.includes("reject")) {
      log(LogLevel.Error, "conformance rejects configuration: " + this.config);
      return false;
    }
    this.requests = Metric.counter("conformance.requests");
    this.inflight = Metric.gauge("conformance.inflight");
    this.bodyBytes = Metric.histogram("conformance.body_bytes");
    this.ticks = Metric.counter("conformance.ticks");
    this.queueItems = Metric.counter("conformance.queue_items");
    this.rootCallouts = Metric.counter("conformance.root_callouts");
    this.queueId = registerSharedQueue(QUEUE_NAME);
    const tickMs = configNumber(this.config, "tick_ms=");
    if (tickMs > 0) setTickPeriod(<u32>tickMs);
    logInfo("conformance configured: " + this.config);
    return true;
  }

  onTick(): void {
    this.ticks.increment(1);
    if (this.doneRequested) this.onTickAfterDone();
  }

  onQueueReady(queueId: u32): void {
    for (let item = dequeueSharedQueue(queueId); item !== null; item = dequeueSharedQueue(queueId)) {
      this.queueItems.increment(1);
    }
  }

  onHttpCallResponse(_callId: u32, _headerCount: u32, _bodySize: u32, _trailerCount: u32): void {
    this.rootCallouts.increment(1);
  }

  newHttpContext(contextId: u32): HttpContext {
    return new ConformanceStream(contextId, this);
  }

  /** Waits for done() when configured with "delay_done" (exercises proxy_done). */
  onDone(): bool {
    const delay = this.config.includes("delay_done");
    this.doneRequested = delay;
    logInfo("conformance root on_done delay=" + bool01(delay));
    return !delay;
  }

  onTickAfterDone(): void {
    logInfo("conformance root done() " + statusName(done()));
  }

  onDelete(): void {
    logInfo("conformance root on_delete");
  }
}

class ConformanceStream extends HttpContext {
  op: string = "";
  tag: string = "";
  report: HeaderPairs = new HeaderPairs();

  get conf(): ConformanceRoot {
    return changetype<ConformanceRoot>(this.root);
  }

  onRequestHeaders(_headerCount: u32, endOfStream: bool): HeadersStatus {
    const op = getHeaderString(MapType.RequestHeaders, "x-conf-op");
    this.op = op === null ? "echo" : op;
    const tag = getHeaderString(MapType.RequestHeaders, "x-conf-tag");
    this.tag = tag === null ? "" : tag;
    this.conf.requests.increment(1);
    this.conf.inflight.increment(1);
    this.report.add("x-conf-eos", bool01(endOfStream));
    if (this.op == "echo") this.echo();
    else if (this.op == "local") return this.localReply();
    else if (this.op == "callout") return this.callout("conformance_callout", true);
    else if (this.op == "callout-bad-cluster") this.callout("no_such_cluster", true);
    else if (this.op == "callout-no-authority") this.callout("conformance_callout", false);
    else if (this.op == "root-callout") this.rootCallout();
    else if (this.op == "close") closeStream(StreamType.Request);
    else if (this.op == "stop") return HeadersStatus.StopIteration;
    else if (this.op == "trap") unreachable();
    return HeadersStatus.Continue;
  }

  echo(): void {
    const input = getHeaderString(MapType.RequestHeaders, "x-conf-in");
    this.report.add("x-conf-in-echo", input === null ? "<null>" : input);
    this.report.add("x-conf-in-equals-hello", bool01(headerEquals(MapType.RequestHeaders, IN, HELLO)));
    getHeaderString(MapType.RequestHeaders, "x-conf-absent");
    this.report.add("x-conf-absent-status", statusName(lastStatus()));
    const first = getHeaderString(MapType.RequestHeaders, "x-conf-multi");
    this.report.add("x-conf-multi-first", first === null ? "<null>" : first);
    const pairs = getHeaderPairs(MapType.RequestHeaders);
    this.report.add("x-conf-multi-all", pairs === null ? "<null>" : pairs.getAll("x-conf-multi").join("|"));
    this.report.add("x-conf-has-method", bool01(pairs !== null && pairs.get(":method") !== null));
    this.report.add("x-conf-size-positive", bool01(headerMapByteSize(MapType.RequestHeaders) > 0));
    addHeaderString(MapType.RequestHeaders, "x-conf-added", "1");
    replaceHeaderString(MapType.RequestHeaders, "x-conf-replace", "new");
    removeHeaderString(MapType.RequestHeaders, "x-conf-remove");
    this.report.add("x-conf-config", this.conf.config);
    this.report.add("x-conf-vm-config", this.conf.vmConfig);
    this.report.add("x-conf-time-ms", (currentTimeNanos() / 1000000).toString());
    this.report.add("x-conf-log-level", (<u32>hostLogLevel()).toString());
    this.report.add("x-conf-debug-enabled", bool01(logEnabled(LogLevel.Debug)));
    this.report.add("x-conf-warn-enabled", bool01(logEnabled(LogLevel.Warn)));
    this.report.add("x-conf-requests-positive", bool01(this.conf.requests.get(0) > 0));
    this.conf.bodyBytes.record(7);
    this.conf.bodyBytes.get(0);
    this.report.add("x-conf-histogram-get", statusName(lastStatus()));
    this.report.add("x-conf-counter-zero", statusName(this.conf.requests.increment(0)));
    this.properties();
    this.sharedData();
    this.report.add("x-conf-clear-route-cache", statusName(clearRouteCache()));
    callForeignFunction("no_such_function", null);
    this.report.add("x-conf-foreign-unknown", statusName(lastStatus()));
    const queue = resolveSharedQueue(
      this.conf.vmConfig.length > 0 ? vmIdOf(this.conf.vmConfig) : "conformance",
      QUEUE_NAME,
    );
    this.report.add("x-conf-enqueue", statusName(enqueueSharedQueue(queue, String.UTF8.encode("item"))));
    resolveSharedQueue("no_such_vm", QUEUE_NAME);
    this.report.add("x-conf-resolve-unknown", statusName(lastStatus()));
    dequeueSharedQueue(0x7fff0000);
    this.report.add("x-conf-dequeue-unknown", statusName(lastStatus()));
    this.report.add("x-conf-effective-unknown", statusName(setEffectiveContext(0x7fff0000)));
    this.report.add("x-conf-has-in", bool01(hasHeader(MapType.RequestHeaders, IN)));
    this.report.add(
      "x-conf-in-reused",
      bool01(isSameString(getHeaderStringReusing(MapType.RequestHeaders, IN, KNOWN_IN), KNOWN_IN)),
    );
    const other = getHeaderStringReusing(MapType.RequestHeaders, IN, OTHER_IN);
    this.report.add("x-conf-in-other", other === null ? "<null>" : other + "," + bool01(isSameString(other, OTHER_IN)));
    logWarn("conformance echo tag=" + this.tag);
  }

  properties(): void {
    this.report.add("x-conf-plugin-name", orNull(getPropertyString(PLUGIN_NAME)));
    this.report.add("x-conf-plugin-root-id", orNull(getPropertyString(PLUGIN_ROOT_ID)));
    this.report.add("x-conf-plugin-vm-id", orNull(getPropertyString(PLUGIN_VM_ID)));
    this.report.add("x-conf-request-path", orNull(getPropertyString(REQUEST_PATH)));
    this.report.add("x-conf-request-method", orNull(getPropertyString(REQUEST_METHOD)));
    this.report.add(
      "x-conf-method-reused",
      bool01(isSameString(getPropertyStringReusing(REQUEST_METHOD, KNOWN_METHOD), KNOWN_METHOD)),
    );
    this.report.add("x-conf-request-header-prop", orNull(getPropertyString(REQUEST_HEADER_IN)));
    const headers = getPropertyPairs(REQUEST_HEADERS);
    this.report.add("x-conf-request-headers-prop", headers === null ? "<null>" : orNull(headers.get("x-conf-in")));
    this.report.add("x-conf-source-port-positive", bool01(getPropertyInt64(SOURCE_PORT, -1) > 0));
    const requestTimeMs = getPropertyNanos(REQUEST_TIME, 0) / 1000000;
    this.report.add("x-conf-request-time-ms", requestTimeMs.toString());
    this.report.add("x-conf-mtls", bool01(getPropertyBool(MTLS, true)));
    this.report.add("x-conf-set-property", statusName(setPropertyString(MARK, "marked")));
    this.report.add("x-conf-mark", orNull(getPropertyString(MARK)));
    getPropertyString(MISSING);
    this.report.add("x-conf-missing-property", statusName(lastStatus()));
  }

  sharedData(): void {
    const hits = sharedCounterAdd("conformance.hits", 1, 8);
    this.report.add("x-conf-shared-hits", hits.toString());
    const key = "conformance.cas";
    setSharedData(key, String.UTF8.encode("a"), 0);
    const read = getSharedData(key);
    const cas: u32 = read === null ? 0 : read.cas;
    this.report.add("x-conf-cas-positive", bool01(cas > 0));
    const first = setSharedData(key, String.UTF8.encode("b"), cas);
    const stale = setSharedData(key, String.UTF8.encode("c"), cas);
    this.report.add("x-conf-cas", statusName(first) + "," + statusName(stale));
    const fresh = getHeaderString(MapType.RequestHeaders, "x-conf-fresh-key");
    if (fresh !== null) {
      this.report.add("x-conf-missing-key-cas", statusName(setSharedData(fresh, String.UTF8.encode("x"), 987654)));
      this.report.add("x-conf-cas-update", statusName(casUpdate(fresh, new AppendBang(), 4)));
      const after = getSharedData(fresh);
      this.report.add("x-conf-cas-update-value", after === null ? "<null>" : String.UTF8.decode(after.value));
      const freshKey = String.UTF8.encode(fresh);
      const inPlace = casUpdateInPlace(
        changetype<usize>(freshKey),
        <usize>freshKey.byteLength,
        new AppendBangInPlace(),
        4,
      );
      const missingKey = String.UTF8.encode(fresh + ".missing");
      const created = casUpdateInPlace(
        changetype<usize>(missingKey),
        <usize>missingKey.byteLength,
        new AppendBangInPlace(),
        4,
      );
      const updated = getSharedData(fresh);
      const made = getSharedData(fresh + ".missing");
      this.report.add(
        "x-conf-cas-update-in-place",
        statusName(inPlace) +
          "," +
          statusName(created) +
          "," +
          (updated === null ? "<null>" : String.UTF8.decode(updated.value)) +
          "," +
          (made === null ? "<null>" : String.UTF8.decode(made.value)),
      );
    }
  }

  localReply(): HeadersStatus {
    const headers = new HeaderPairs().add("x-conf-local", "yes");
    const status = sendLocalResponse(418, "conformance local", String.UTF8.encode("teapot"), headers, NO_GRPC_STATUS);
    logInfo("conformance local reply " + statusName(status));
    return HeadersStatus.StopAllIterationAndWatermark;
  }

  callout(cluster: string, withAuthority: bool): HeadersStatus {
    const headers = new HeaderPairs().add(":method", "GET").add(":path", "/callout").add("x-conf-from", "filter");
    if (withAuthority) headers.add(":authority", "callout");
    const id = this.httpCall(cluster, headers, null, 5000);
    this.report.add("x-conf-callout-dispatch", statusName(lastStatus()));
    if (id == 0) return HeadersStatus.Continue;
    return HeadersStatus.StopAllIterationAndWatermark;
  }

  rootCallout(): void {
    const headers = new HeaderPairs().add(":method", "GET").add(":path", "/root").add(":authority", "callout");
    this.root.httpCall("conformance_callout", headers, null, 5000);
    this.report.add("x-conf-root-callout-dispatch", statusName(lastStatus()));
  }

  onHttpCallResponse(_callId: u32, headerCount: u32, bodySize: u32, _trailerCount: u32): void {
    if (headerCount == 0) {
      const code = lastCalloutStatus();
      this.report.add("x-conf-callout-failed", code.toString() + ":" + lastCalloutStatusMessage());
      continueRequest();
      return;
    }
    const headers = httpCallResponseHeaders();
    const status: string | null = headers === null ? null : headers.get(":status");
    const upstream: string | null = headers === null ? null : headers.get("x-upstream");
    const body = httpCallResponseBody(bodySize);
    this.report.add("x-conf-callout-status", orNull(status));
    this.report.add("x-conf-callout-upstream", orNull(upstream));
    this.report.add("x-conf-callout-body-bytes", bool01(body !== null && body.byteLength > 0));
    this.report.add("x-conf-continue", statusName(continueRequest()));
  }

  onRequestBody(bodySize: u32, endOfStream: bool): DataStatus {
    if (this.op != "body") return DataStatus.Continue;
    if (!endOfStream) return DataStatus.StopIterationAndBuffer;
    const text = getBufferString(BufferType.RequestBody, 0, bodySize);
    this.report.add("x-conf-request-body", orNull(text));
    this.report.add("x-conf-request-body-slice", orNull(getBufferString(BufferType.RequestBody, 6, 4)));
    this.report.add("x-conf-request-body-length", bufferLength(BufferType.RequestBody).toString());
    getBuffer(BufferType.PluginConfiguration, 0, 10);
    this.report.add("x-conf-config-buffer-later", statusName(lastStatus()));
    return DataStatus.Continue;
  }

  onResponseHeaders(_headerCount: u32, _endOfStream: bool): HeadersStatus {
    getHeaderString(MapType.RequestHeaders, "x-conf-in");
    this.report.add("x-conf-late-request-read", statusName(lastStatus()));
    const status = getHeaderString(MapType.ResponseHeaders, ":status");
    this.report.add("x-conf-response-status-seen", orNull(status));
    if (this.op == "body") removeHeaderString(MapType.ResponseHeaders, "content-length");
    if (this.op == "setpairs") {
      const oversized = new HeaderPairs();
      for (let i = 0; i <= PAIRS_MAX_COUNT; i++) oversized.add("x-conf-bulk", "v");
      this.report.add("x-conf-set-pairs-oversized", statusName(setHeaderPairs(MapType.ResponseHeaders, oversized)));
      const pairs = getHeaderPairs(MapType.ResponseHeaders);
      if (pairs !== null) {
        pairs.set("x-conf-pairs-count", pairs.length.toString());
        this.report.add("x-conf-set-pairs", statusName(setHeaderPairs(MapType.ResponseHeaders, pairs)));
      }
    }
    const report = this.report;
    for (let i = 0; i < report.length; i++) addHeaderString(MapType.ResponseHeaders, report.keys[i], report.values[i]);
    return HeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): DataStatus {
    if (this.op != "body") return DataStatus.Continue;
    if (!endOfStream) return DataStatus.StopIterationAndBuffer;
    const replaced = "conformance:" + bodySize.toString();
    replaceBuffer(BufferType.ResponseBody, String.UTF8.encode(replaced));
    prependBuffer(BufferType.ResponseBody, String.UTF8.encode("<<"));
    appendBuffer(BufferType.ResponseBody, String.UTF8.encode(">>"));
    return DataStatus.Continue;
  }

  onLog(): void {
    if (this.tag.length > 0) logInfo("conformance on_log tag=" + this.tag);
  }

  onDone(): void {
    if (this.tag.length > 0) logInfo("conformance on_done tag=" + this.tag);
  }

  onDelete(): void {
    this.conf.inflight.increment(-1);
    if (this.tag.length > 0) logInfo("conformance on_delete tag=" + this.tag);
  }
}

/** Digits after `key` in a "k=v;k=v" config text, or -1. */
function configNumber(config: string, key: string): i32 {
  const at = config.indexOf(key);
  if (at < 0) return -1;
  let value = 0;
  for (let i = at + key.length; i < config.length; i++) {
    const c = config.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

function orNull(value: string | null): string {
  return value === null ? "<null>" : value;
}

/** The vm config of this filter is "vm_id=<id>": the queue was registered under that vm id. */
function vmIdOf(vmConfig: string): string {
  const at = vmConfig.indexOf("vm_id=");
  return at < 0 ? "conformance" : vmConfig.substring(at + 6);
}

setRootContextFactory((contextId: u32): RootContext => new ConformanceRoot(contextId));
